using TextToImage.Diffusion.Text;

namespace TextToImage.Service.Models;

/// <summary>
/// Whether two model folders hold the same model: the same files at the same sizes, and the same
/// bytes in every file small enough to compare cheaply (configs, tokenizer, card). Weights are
/// compared by size: reading hundreds of megabytes at every start to tell copies apart is not worth it.
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
            if (fileA.Length <= CompareBytesUpTo && !File.ReadAllBytes(fileA.FullName).AsSpan().SequenceEqual(File.ReadAllBytes(fileB.FullName))) return false;
        }
        return true;
    }

    /// <summary>The folder's files by relative path, less the text-encoder weights a first load converts (one copy may have them, the other not yet).</summary>
    static Dictionary<string, FileInfo> Files(string folder) =>
        new DirectoryInfo(folder).EnumerateFiles("*", SearchOption.AllDirectories)
            .Select(file => (Name: Path.GetRelativePath(folder, file.FullName), File: file))
            .Where(f => !IsConverted(f.Name))
            .ToDictionary(f => f.Name, f => f.File, StringComparer.Ordinal);

    static bool IsConverted(string relativePath) => Path.GetFileName(relativePath) == MiniLmWeights.FileName;
}
