using TorchSharp;

namespace TextToImage.Diffusion.IO;

/// <summary>Reads the tensors of a validated header from the data section, one tensor at a time.</summary>
internal static class SafetensorsReader
{
    public static IReadOnlyDictionary<string, torch.Tensor> ReadTensors(
        Stream stream, SafetensorsHeader header, string source, torch.Device? device, Func<string, bool>? include)
    {
        var tensors = new Dictionary<string, torch.Tensor>(StringComparer.Ordinal);
        try
        {
            long position = 0;
            // Entries are sorted by offset and tile the data section, so reading in order needs no seeking.
            foreach (var entry in header.Entries)
            {
                if (include is not null && !include(entry.Name)) continue;
                Skip(stream, entry.Begin - position, source, entry.Name);
                tensors.Add(entry.Name, ReadTensor(stream, entry, source, device));
                position = entry.End;
            }
            if (!stream.CanSeek && include is null && stream.ReadByte() != -1)
                throw SafetensorsHeader.Invalid(source, "unexpected bytes follow the last tensor's data");
            return tensors;
        }
        catch
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
            throw;
        }
    }

    internal static torch.Tensor ReadTensor(Stream stream, SafetensorsEntry entry, string source, torch.Device? device)
    {
        // Read into CPU memory first: the file bytes land directly in the tensor's native buffer.
        var cpu = torch.empty(entry.Shape, entry.DType, torch.CPU);
        try
        {
            TensorBytes.ReadFrom(stream, cpu);
        }
        catch (EndOfStreamException)
        {
            cpu.Dispose();
            throw SafetensorsHeader.Invalid(source, $"tensor '{entry.Name}': the file ends inside its data (truncated)");
        }
        if (device is null || device.type == DeviceType.CPU) return cpu;
        using (cpu) return cpu.to(device);
    }

    static void Skip(Stream stream, long count, string source, string nextTensor)
    {
        if (count == 0) return;
        if (stream.CanSeek)
        {
            stream.Seek(count, SeekOrigin.Current);
            return;
        }
        var scratch = new byte[(int)Math.Min(count, 1 << 20)];
        while (count > 0)
        {
            var read = stream.Read(scratch, 0, (int)Math.Min(count, scratch.Length));
            if (read == 0)
                throw SafetensorsHeader.Invalid(source, $"tensor '{nextTensor}': the file ends before its data (truncated)");
            count -= read;
        }
    }
}
