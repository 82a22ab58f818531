using System.Globalization;
using TextToImage.Diffusion.IO;

namespace TextToImage.Service.Blobs;

/// <summary>Blobs as files under one folder; writes go to a temporary file, then rename.</summary>
public sealed class FileSystemBlobStore : IBlobStore
{
    readonly string root;

    public FileSystemBlobStore(string folder)
    {
        root = Path.GetFullPath(folder);
        Directory.CreateDirectory(root);
    }

    public Task PutAsync(BlobKey key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellation)
    {
        var path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.Write(path, stream => stream.Write(content.Span));
        return Task.CompletedTask;
    }

    public Task<BlobProperties?> GetPropertiesAsync(BlobKey key, CancellationToken cancellation)
    {
        var file = new FileInfo(PathOf(key));
        return Task.FromResult(file.Exists ? Properties(file) : null);
    }

    public Task<Stream?> OpenReadAsync(BlobKey key, CancellationToken cancellation)
    {
        try
        {
            return Task.FromResult<Stream?>(new FileStream(PathOf(key), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 64 * 1024, useAsync: true));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<Stream?>(null);
        }
    }

    public Uri? SignedUrl(BlobKey key, TimeSpan lifetime) => null;

    public Task PingAsync(CancellationToken cancellation) =>
        Directory.Exists(root) ? Task.CompletedTask : throw new DirectoryNotFoundException($"Blob folder {root} is gone.");

    /// <summary>Keys are checked by <see cref="BlobKey"/>; the containment check is a second line of defence.</summary>
    string PathOf(BlobKey key)
    {
        var path = Path.GetFullPath(Path.Combine(root, key.Value));
        return path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            ? path
            : throw new ArgumentException($"Blob key '{key}' leaves the store.", nameof(key));
    }

    /// <summary>Blobs are written once under a key derived from the job, so size and time identify the content.</summary>
    static BlobProperties Properties(FileInfo file) => new(file.Length, ContentTypes.FromFileName(file.Name),
        string.Create(CultureInfo.InvariantCulture, $"\"{file.Length:x}-{file.LastWriteTimeUtc.Ticks:x}\""),
        new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero));
}
