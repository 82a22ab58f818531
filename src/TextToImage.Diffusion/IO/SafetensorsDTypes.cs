using TorchSharp;

namespace TextToImage.Diffusion.IO;

/// <summary>The safetensors dtype names this engine reads and writes, and their torch equivalents.</summary>
internal static class SafetensorsDTypes
{
    // Rank follows the order of the reference implementation's dtype enum (ascending alignment).
    // Save sorts by descending rank, then by name, exactly as the reference writer does, so every
    // tensor's data starts aligned to its element size and our files match its byte layout.
    static readonly (string Name, torch.ScalarType Type, int Size, int Rank)[] Table =
    [
        ("BOOL", torch.ScalarType.Bool, 1, 0),
        ("U8", torch.ScalarType.Byte, 1, 1),
        ("I8", torch.ScalarType.Int8, 1, 2),
        ("I16", torch.ScalarType.Int16, 2, 5),
        ("F16", torch.ScalarType.Float16, 2, 7),
        ("BF16", torch.ScalarType.BFloat16, 2, 8),
        ("I32", torch.ScalarType.Int32, 4, 9),
        ("F32", torch.ScalarType.Float32, 4, 11),
        ("F64", torch.ScalarType.Float64, 8, 12),
        ("I64", torch.ScalarType.Int64, 8, 13),
    ];

    public static string Supported => string.Join(", ", Table.Select(t => t.Name));

    public static bool TryParse(string name, out torch.ScalarType type, out int size)
    {
        foreach (var entry in Table)
        {
            if (entry.Name != name) continue;
            (type, size) = (entry.Type, entry.Size);
            return true;
        }
        (type, size) = (default, 0);
        return false;
    }

    public static bool IsSupported(torch.ScalarType type) => Table.Any(t => t.Type == type);

    public static string NameOf(torch.ScalarType type) => Find(type).Name;

    public static int SizeOf(torch.ScalarType type) => Find(type).Size;

    public static int RankOf(torch.ScalarType type) => Find(type).Rank;

    static (string Name, torch.ScalarType Type, int Size, int Rank) Find(torch.ScalarType type)
    {
        foreach (var entry in Table)
            if (entry.Type == type) return entry;
        throw new ArgumentException($"safetensors has no dtype for {type}; supported: {Supported}");
    }
}
