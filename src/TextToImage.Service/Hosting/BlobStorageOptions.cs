namespace TextToImage.Service.Hosting;

/// <summary>The <c>Storage</c> section: where images are kept.</summary>
public sealed class BlobStorageOptions
{
    public const string Section = "Storage";

    /// <summary><c>filesystem</c> (default) | <c>azure</c>.</summary>
    public string Provider { get; set; } = "filesystem";

    /// <summary>Filesystem provider: the folder; relative paths are under the data root.</summary>
    public string? Folder { get; set; }

    /// <summary>Azure provider: the connection string.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Azure provider: the container, created when missing.</summary>
    public string Container { get; set; } = "images";

    /// <summary>Azure provider: answer image requests with a redirect to a signed URL instead of streaming.</summary>
    public bool RedirectToSignedUrls { get; set; }

    public TimeSpan SignedUrlLifetime { get; set; } = TimeSpan.FromMinutes(15);
}
