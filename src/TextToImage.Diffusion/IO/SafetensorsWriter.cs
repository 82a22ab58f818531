using System.Buffers.Binary;
using TorchSharp;

namespace TextToImage.Diffusion.IO;

/// <summary>Writes tensors as a safetensors file, atomically: a temp file beside the target, then a rename.</summary>
internal static class SafetensorsWriter
{
    public static void Write(
        string path,
        IEnumerable<KeyValuePair<string, torch.Tensor>> tensors,
        torch.ScalarType? floatType,
        IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensors);
        if (floatType is { } requested && !(torch.is_floating_point(requested) && SafetensorsDTypes.IsSupported(requested)))
            throw new ArgumentException($"Can only convert floating tensors to a floating safetensors dtype, not {requested}.", nameof(floatType));

        // Plan everything (names, dtypes, offsets) before creating any file, so bad input leaves no trace.
        var (entries, sources) = Plan(tensors, floatType);
        var header = SafetensorsHeader.Serialize(entries, metadata);

        AtomicFile.Write(path, file =>
        {
            Span<byte> prefix = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
            file.Write(prefix);
            file.Write(header);
            for (var i = 0; i < entries.Count; i++)
                WriteTensor(file, sources[i], entries[i]);
        });
    }

    static (List<SafetensorsEntry> Entries, List<torch.Tensor> Sources) Plan(
        IEnumerable<KeyValuePair<string, torch.Tensor>> tensors, torch.ScalarType? floatType)
    {
        var named = new List<(string Name, torch.Tensor Tensor, torch.ScalarType Type)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, tensor) in tensors)
        {
            if (string.IsNullOrEmpty(name)) throw new ArgumentException("A tensor name is empty.", nameof(tensors));
            if (name == SafetensorsHeader.MetadataKey)
                throw new ArgumentException($"'{name}' is reserved for the metadata and cannot name a tensor.", nameof(tensors));
            if (!names.Add(name)) throw new ArgumentException($"Tensor '{name}' is given twice.", nameof(tensors));
            ArgumentNullException.ThrowIfNull(tensor, name);
            var type = floatType is { } f && tensor.is_floating_point() ? f : tensor.dtype;
            if (!SafetensorsDTypes.IsSupported(type))
                throw new ArgumentException($"Tensor '{name}' has dtype {type}, which safetensors cannot hold here " +
                                            $"(supported: {SafetensorsDTypes.Supported}).", nameof(tensors));
            named.Add((name, tensor, type));
        }

        // The reference writer's order: descending dtype alignment, then name.
        named.Sort((a, b) =>
        {
            var byRank = SafetensorsDTypes.RankOf(b.Type).CompareTo(SafetensorsDTypes.RankOf(a.Type));
            return byRank != 0 ? byRank : string.CompareOrdinal(a.Name, b.Name);
        });

        var entries = new List<SafetensorsEntry>(named.Count);
        long offset = 0;
        foreach (var (name, tensor, type) in named)
        {
            var length = checked(tensor.numel() * SafetensorsDTypes.SizeOf(type));
            entries.Add(new SafetensorsEntry(name, type, tensor.shape, offset, offset + length));
            offset += length;
        }
        return (entries, named.Select(n => n.Tensor).ToList());
    }

    static void WriteTensor(Stream file, torch.Tensor tensor, SafetensorsEntry entry)
    {
        // Each step returns a new handle (sharing storage where nothing changes); disposing them
        // releases only these references, never the caller's tensor.
        using var detached = tensor.detach();
        using var converted = detached.to(entry.DType, torch.CPU);
        using var contiguous = converted.contiguous();
        TensorBytes.WriteTo(file, contiguous);
    }
}
