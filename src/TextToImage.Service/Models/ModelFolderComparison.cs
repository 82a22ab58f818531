using TextToImage.Diffusion.Text;

namespace TextToImage.Service.Models;

/// <summary>
/// Whether two model folders hold the same model: the same files at the same sizes, the same bytes
/// in every small file (configs, tokenizer, card), and in each large one (weights) the same first
/// and last 64 KiB: a safetensors header with its metadata (training steps) and the ends of the
/// data. Reading hundreds of megabytes at every start to tell copies apart is not worth it.
/// </summary>
static class ModelFolderComparison
{
    const long CompareBytesUpTo = 1 << 20;

    public static bool Same(string a, string b)
    {
        var (filesA, filesB) = (Files(a), Files(b));
        if (!filesA.Keys.Order(StringComparer.Ordinal).SequenceEqual(filesB.Keys.Order(StringComparer.Ordinal))) return false;
        foreach (var (name, fileA) in filesA)
        {
            var fileB = filesB[name];
            if (fileA.Length != fileB.Length) return false;
            if (fileA.Length <= CompareBytesUpTo
                    ? !File.ReadAllBytes(fileA.FullName).AsSpan().SequenceEqual(File.ReadAllBytes(fileB.FullName))
                    : !Ends(fileA).SequenceEqual(Ends(fileB)))
                return false;
        }
        return true;
    }

    static byte[] Ends(FileInfo file)
    {
        const int Window = 64 << 10;
        var bytes = new byte[2 * Window];
        using var stream = file.OpenRead();
        stream.ReadExactly(bytes, 0, Window);
        stream.Seek(-Window, SeekOrigin.End);
        stream.ReadExactly(bytes, Window, Window);
        return bytes;
    }

    /// <summary>The folder's files by relative path, less the text-encoder weights a first load converts (one copy may have them, the other not yet).</summary>
    static Dictionary<string, FileInfo> Files(string folder) =>
        new DirectoryInfo(folder).EnumerateFiles("*", SearchOption.AllDirectories)
            .Select(file => (Name: Path.GetRelativePath(folder, file.FullName), File: file))
            .Where(f => !IsConverted(f.Name))
            .ToDictionary(f => f.Name, f => f.File, StringComparer.Ordinal);

    static bool IsConverted(string relativePath) => Path.GetFileName(relativePath) == MiniLmWeights.FileName;
}
