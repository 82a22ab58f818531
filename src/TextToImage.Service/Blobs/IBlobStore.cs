namespace TextToImage.Service.Blobs;

/// <summary>Where images live. Keys are <see cref="BlobKey"/>s; writes replace whole blobs atomically.</summary>
public interface IBlobStore
{
    /// <summary>Writes (or replaces) the blob; readers see the old bytes or the new, never a part.</summary>
    Task PutAsync(BlobKey key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellation);

    /// <summary>The blob's size, type and entity tag; null when absent.</summary>
    Task<BlobProperties?> GetPropertiesAsync(BlobKey key, CancellationToken cancellation);

    /// <summary>The blob's bytes as a stream the caller disposes; null when absent.</summary>
    Task<Stream?> OpenReadAsync(BlobKey key, CancellationToken cancellation);

    /// <summary>Removes the blob; false when there was none.</summary>
    Task<bool> DeleteAsync(BlobKey key, CancellationToken cancellation);

    /// <summary>A time-limited URL that serves the blob without this service; null where the provider has none.</summary>
    Uri? SignedUrl(BlobKey key, TimeSpan lifetime);

    /// <summary>A cheap round trip, for readiness.</summary>
    Task PingAsync(CancellationToken cancellation);
}

/// <summary>A blob's size, content type, quoted entity tag (as HTTP wants it) and time of writing.</summary>
public sealed record BlobProperties(long Length, string ContentType, string ETag, DateTimeOffset LastModified);
