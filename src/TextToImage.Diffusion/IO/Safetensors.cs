using TorchSharp;

namespace TextToImage.Diffusion.IO;

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
/// mapping each tensor name to {dtype, shape, data_offsets} plus optional "__metadata__" strings,
/// then the raw little-endian tensor bytes. Supported dtypes: F64, F32, F16, BF16, I64, I32, I16,
/// I8, U8, BOOL. Files are validated as strictly as the reference implementation validates them;
/// any violation throws <see cref="InvalidDataException"/> naming the file and, where one is at
/// fault, the tensor.
/// </summary>
public static class Safetensors
{
    /// <summary>
    /// Loads the tensors of a file, each streamed from disk into its own buffer (never the whole file
    /// into one array), then moved to <paramref name="device"/> (CPU when null). The caller owns the
    /// tensors; they join the caller's dispose scope, if any. <paramref name="include"/>, when given,
    /// selects which names to load; the others are skipped without being read.
    /// </summary>
    public static IReadOnlyDictionary<string, torch.Tensor> Load(string path, torch.Device? device = null, Func<string, bool>? include = null)
    {
        using var file = OpenRead(path);
        return Load(file, device, include);
    }

    /// <summary>Loads from a stream positioned at the file's start; a non-seekable stream is read strictly in order.</summary>
    public static IReadOnlyDictionary<string, torch.Tensor> Load(Stream stream, torch.Device? device = null, Func<string, bool>? include = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var source = SourceName(stream);
        var header = SafetensorsHeader.Read(stream, source, Remaining(stream));
        return SafetensorsReader.ReadTensors(stream, header, source, device, include);
    }

    /// <summary>The tensors of a file as its header lists them (validated as <see cref="Load(string, torch.Device?, Func{string, bool}?)"/> validates it), none read yet.</summary>
    public static IReadOnlyList<StoredTensor> List(string path)
    {
        using var file = OpenRead(path);
        var header = SafetensorsHeader.Read(file, path, Remaining(file));
        var dataStart = file.Position;
        return [.. header.Entries.Select(entry => new StoredTensor(path, dataStart, entry))];
    }

    /// <summary>The "__metadata__" strings of a file (empty when it has none), read without loading any tensor.</summary>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        using var file = OpenRead(path);
        return ReadMetadata(file);
    }

    /// <summary>The "__metadata__" strings of the file a stream starts at; the tensors are not read.</summary>
    public static IReadOnlyDictionary<string, string> ReadMetadata(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return SafetensorsHeader.Read(stream, SourceName(stream), Remaining(stream)).Metadata;
    }

    /// <summary>
    /// Saves tensors (from any device; they are left untouched) in the reference writer's layout:
    /// data ordered by descending dtype alignment then name, header padded with spaces to 8 bytes.
    /// <paramref name="dtype"/>, when given, converts every floating tensor to it (F16, BF16, F32 or
    /// F64); other tensors keep their dtype. The file appears atomically: it is written beside the
    /// target under a temporary name, flushed to disk, then renamed over the target, so a crash never
    /// leaves a half-written file at <paramref name="path"/>.
    /// </summary>
    public static void Save(
        string path,
        IEnumerable<KeyValuePair<string, torch.Tensor>> tensors,
        torch.ScalarType? dtype = null,
        IReadOnlyDictionary<string, string>? metadata = null) =>
        SafetensorsWriter.Write(path, tensors, dtype, metadata);

    internal static FileStream OpenRead(string path) =>
        // A small buffer: tensor bytes are read in large chunks straight into native memory.
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.SequentialScan);

    static string SourceName(Stream stream) => stream is FileStream file ? file.Name : "<stream>";

    static long? Remaining(Stream stream) => stream.CanSeek ? stream.Length - stream.Position : null;
}
