using System.Text;

namespace TextToImage.Diffusion.IO;

/// <summary>
/// Writes a file so that readers see either the old content or the complete new one: the bytes
/// go to a uniquely named temp file beside the target, reach the disk, and only then replace it.
/// A failure removes the temp file and leaves the target as it was.
/// </summary>
public static class AtomicFile
{
    /// <param name="tempFolder">Where the temp file goes (on the same file system, for the rename); beside the target when null.
    /// A process killed mid-write leaves its temp file behind: a folder of their own keeps them out of the target's.</param>
    public static void Write(string path, Action<Stream> write, string? tempFolder = null)
    {
        var target = Path.GetFullPath(path);
        var temp = Path.Combine(tempFolder ?? Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(file);
                // The rename must never publish bytes that are still only in the page cache.
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, target, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* the original error matters more */ }
            throw;
        }
    }

    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, stream => stream.Write(bytes));

    public static void WriteAllText(string path, string text) => WriteAllBytes(path, new UTF8Encoding(false).GetBytes(text));
}
