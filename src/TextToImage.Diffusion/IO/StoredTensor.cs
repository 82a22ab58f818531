using TorchSharp;

namespace TextToImage.Diffusion.IO;

/// <summary>
/// A tensor of a safetensors file, known from the file's header and read only when asked: loading a network
/// tensor by tensor needs the network plus one tensor in memory, not the network plus its whole file.
/// </summary>
public sealed class StoredTensor
{
    readonly SafetensorsEntry entry;
    readonly long dataStart;

    internal StoredTensor(string file, long dataStart, SafetensorsEntry entry)
    {
        File = file;
        this.dataStart = dataStart;
        this.entry = entry;
    }

    public string File { get; }
    public string Name => entry.Name;
    public long[] Shape => entry.Shape;
    public torch.ScalarType DType => entry.DType;

    /// <summary>Reads the tensor from its file onto <paramref name="device"/> (CPU when null); the caller owns it.</summary>
    public torch.Tensor Read(torch.Device? device = null)
    {
        using var stream = Safetensors.OpenRead(File);
        stream.Seek(dataStart + entry.Begin, SeekOrigin.Begin);
        return SafetensorsReader.ReadTensor(stream, entry, File, device);
    }
}
