namespace TextToImage.Service.Hosting;

/// <summary>The <c>Storage</c> section: where images are kept.</summary>
public sealed class BlobStorageOptions
{
    public const string Section = "Storage";

    /// <summary><c>filesystem</c> (default) | <c>azure</c> | <c>s3</c>.</summary>
    public string Provider { get; set; } = "filesystem";

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
