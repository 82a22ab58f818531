using System.Security.Cryptography;
using TextToImage.Diffusion.IO;

namespace TextToImage.Service.Blobs;

/// <summary>Blobs as files under one folder; writes go to a temporary file, then rename.</summary>
public sealed class FileSystemBlobStore : IBlobStore
{
    /// <summary>Temp files of writes in progress: not a valid key, so never a blob, and out of the jobs' folders.</summary>
    const string TempFolderName = ".partial";

    /// <summary>A write takes milliseconds; a temp file this old belongs to a process that was killed.</summary>
    static readonly TimeSpan StaleTempAge = TimeSpan.FromHours(1);

    readonly string root;
    readonly string temp;

    public FileSystemBlobStore(string folder)
    {
        root = Path.GetFullPath(folder);
        temp = Path.Combine(root, TempFolderName);
        Directory.CreateDirectory(temp);
        foreach (var stale in new DirectoryInfo(temp).EnumerateFiles().Where(f => DateTime.UtcNow - f.LastWriteTimeUtc > StaleTempAge))
        {
            try { stale.Delete(); }
            catch (IOException) { /* another process is cleaning up too */ }
        }
    }

    public Task PutAsync(BlobKey key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellation)
    {
        var path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.Write(path, stream => stream.Write(content.Span), temp);
        return Task.CompletedTask;
    }

    public async Task<BlobProperties?> GetPropertiesAsync(BlobKey key, CancellationToken cancellation)
    {
        // One open handle for length, time and tag: a concurrent replace cannot mix two versions.
        await using var file = await OpenReadAsync(key, cancellation);
        if (file is not FileStream stream)
            return null;
        var written = File.GetLastWriteTimeUtc(stream.SafeFileHandle);
        var length = stream.Length;
        return new BlobProperties(length, ContentTypes.FromFileName(stream.Name), await EntityTagAsync(stream, cancellation),
            new DateTimeOffset(written, TimeSpan.Zero));
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

    public Task<bool> DeleteAsync(BlobKey key, CancellationToken cancellation)
    {
        var path = PathOf(key);
        if (!File.Exists(path)) return Task.FromResult(false);
        File.Delete(path);
        // Folders the key made (a job's folder, its stage folders) go with their last file.
        for (var folder = Path.GetDirectoryName(path)!; folder != root && !Directory.EnumerateFileSystemEntries(folder).Any(); folder = Path.GetDirectoryName(folder)!)
        {
            try { Directory.Delete(folder); }
            catch (IOException) { break; } // a writer put something there meanwhile
        }
        return Task.FromResult(true);
    }

    public Uri? SignedUrl(BlobKey key, TimeSpan lifetime) => null;

    public Task PingAsync(CancellationToken cancellation) =>
        Directory.Exists(root) ? Task.CompletedTask : Task.FromException(new DirectoryNotFoundException($"Blob folder {root} is gone."));

    /// <summary>Keys are checked by <see cref="BlobKey"/>; the containment check is a second line of defence.</summary>
    string PathOf(BlobKey key)
    {
        var path = Path.GetFullPath(Path.Combine(root, key.Value));
        return path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            ? path
            : throw new ArgumentException($"Blob key '{key}' leaves the store.", nameof(key));
    }

    /// <summary>
    /// A strong tag from the content itself. Size and write time are not enough: file times are coarse
    /// (8 ms steps on ext4 here), so two writes of equal length in one step got the same tag. Hashing
    /// reads the file, which for images of a few megabytes costs about a millisecond.
    /// </summary>
    static async Task<string> EntityTagAsync(Stream content, CancellationToken cancellation)
    {
        var hash = await SHA256.HashDataAsync(content, cancellation);
        return $"\"{Convert.ToHexStringLower(hash.AsSpan(0, 16))}\"";
    }
}
