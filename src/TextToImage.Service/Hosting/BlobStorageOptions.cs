using Microsoft.Extensions.Options;

namespace TextToImage.Service.Hosting;

/// <summary>The <c>Storage</c> section: where images are kept.</summary>
public sealed class BlobStorageOptions
{
    public const string Section = "Storage";

    /// <summary><c>filesystem</c> (default) | <c>azure</c> | <c>s3</c>.</summary>
    public BlobStorageProvider Provider { get; set; } = BlobStorageProvider.Filesystem;

    /// <summary>Filesystem provider: the folder; relative paths are under the data root.</summary>
    public string? Folder { get; set; }

    /// <summary>Azure provider: the connection string.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Azure provider: the container; S3 provider: the bucket. Created when missing.</summary>
    public string Container { get; set; } = "images";

    /// <summary>S3 provider: the endpoint of an S3-compatible service (MinIO, R2, ...), addressed path-style; unset for AWS.</summary>
    public string? ServiceUrl { get; set; }

    /// <summary>S3 provider: the region (signing region for S3-compatible services).</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary>S3 provider: the access key and secret; unset, the AWS SDK's own chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, profiles, instance roles).</summary>
    public string? AccessKey { get; set; }

    public string? SecretKey { get; set; }

    /// <summary>Azure and S3 providers: answer image requests with a redirect to a signed (presigned) URL instead of streaming.</summary>
    public bool RedirectToSignedUrls { get; set; }

    public TimeSpan SignedUrlLifetime { get; set; } = TimeSpan.FromMinutes(15);
}

/// <summary>Where <see cref="BlobStorageOptions.Provider"/> keeps images.</summary>
public enum BlobStorageProvider
{
    Filesystem,
    Azure,
    S3,
}

/// <summary>The <c>Storage</c> section's rules: what each provider needs.</summary>
public sealed class BlobStorageOptionsValidator : IValidateOptions<BlobStorageOptions>
{
    public ValidateOptionsResult Validate(string? name, BlobStorageOptions options)
    {
        var problems = new List<string>();
        problems.CheckDefined("Storage:Provider", options.Provider);
        if (options.Provider == BlobStorageProvider.Azure && string.IsNullOrWhiteSpace(options.ConnectionString))
            problems.Add("Storage:Provider 'azure' needs Storage:ConnectionString");
        if ((options.Provider is BlobStorageProvider.Azure or BlobStorageProvider.S3) && string.IsNullOrWhiteSpace(options.Container))
            problems.Add("Storage:Container must name the container (azure) or bucket (s3)");
        if (options.Provider == BlobStorageProvider.S3)
        {
            if ((options.AccessKey is null) != (options.SecretKey is null))
                problems.Add("Storage:AccessKey and Storage:SecretKey go together: set both, or neither to use the AWS SDK's credential chain");
            if (options.ServiceUrl is { } url && !(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
                problems.Add($"Storage:ServiceUrl must be an http or https address, not '{url}'");
            if (string.IsNullOrWhiteSpace(options.Region)) problems.Add("Storage:Region must name a region");
        }
        // Presigned S3 URLs live at most 7 days; the same bound keeps Azure's SAS links from outliving anyone's intent.
        if (options.SignedUrlLifetime <= TimeSpan.Zero || options.SignedUrlLifetime > TimeSpan.FromDays(7))
            problems.Add($"Storage:SignedUrlLifetime must be positive and at most 7 days, not {options.SignedUrlLifetime}");
        return OptionsValidation.Result(problems);
    }
}
