using TorchSharp;

namespace TextToImage.Diffusion.IO;

/// <summary>
/// Moves the raw bytes of a contiguous CPU tensor to or from a stream in bounded chunks, straight
/// through the tensor's native memory: no managed copy of a whole tensor, and no 2 GiB span limit.
/// </summary>
internal static class TensorBytes
{
    const long ChunkBytes = 8 << 20;

    delegate void ChunkAction(Span<byte> chunk);

    /// <summary>Fills <paramref name="tensor"/> from <paramref name="source"/>; throws EndOfStreamException if it runs out.</summary>
    public static void ReadFrom(Stream source, torch.Tensor tensor) => ForEachChunk(tensor, source.ReadExactly);

    public static void WriteTo(Stream destination, torch.Tensor tensor) => ForEachChunk(tensor, chunk => destination.Write(chunk));

    static void ForEachChunk(torch.Tensor tensor, ChunkAction action)
    {
        if (tensor.device_type != DeviceType.CPU || !tensor.is_contiguous())
            throw new ArgumentException("Raw bytes need a contiguous CPU tensor.", nameof(tensor));
        var count = tensor.numel();
        if (count == 0) return;

        // Chunks are whole elements so each narrow() view stays aligned to the dtype.
        var perChunk = Math.Max(1, ChunkBytes / tensor.element_size());
        using var flat = tensor.view(-1);
        for (long start = 0; start < count; start += perChunk)
        {
            using var chunk = flat.narrow(0, start, Math.Min(perChunk, count - start));
            action(chunk.bytes);
        }
    }
}
