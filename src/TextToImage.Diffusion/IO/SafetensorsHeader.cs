using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;
using TorchSharp;

namespace TextToImage.Diffusion.IO;

/// <summary>One tensor's header entry; Begin and End are byte offsets into the data section.</summary>
internal sealed record SafetensorsEntry(string Name, torch.ScalarType DType, long[] Shape, long Begin, long End)
{
    public long ByteLength => End - Begin;
}

/// <summary>
/// A parsed and validated safetensors header: the entries sorted by offset, covering the data
/// section [0, DataLength) exactly, and the free-form string metadata.
/// </summary>
internal sealed record SafetensorsHeader(
    IReadOnlyList<SafetensorsEntry> Entries,
    IReadOnlyDictionary<string, string> Metadata,
    long DataLength)
{
    public const string MetadataKey = "__metadata__";

    // The reference implementation refuses larger headers; a bigger length means a corrupt or hostile file.
    const long MaxHeaderLength = 100_000_000;

    /// <summary>
    /// Reads the length prefix and header from <paramref name="stream"/>, leaving it at the start of the data.
    /// <paramref name="available"/> is the number of bytes from the stream's position to its end, where known.
    /// </summary>
    public static SafetensorsHeader Read(Stream stream, string source, long? available)
    {
        Span<byte> prefix = stackalloc byte[8];
        if (!TryReadExactly(stream, prefix))
            throw Invalid(source, "shorter than the 8-byte header length");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderLength)
            throw Invalid(source, $"declares a {headerLength}-byte header, over the {MaxHeaderLength}-byte limit");
        if (available is { } total && 8 + (long)headerLength > total)
            throw Invalid(source, $"declares a {headerLength}-byte header but holds only {total} bytes");

        var json = new byte[headerLength];
        if (!TryReadExactly(stream, json))
            throw Invalid(source, $"ends inside its {headerLength}-byte header");

        var header = Parse(json, source);
        if (available is { } size)
        {
            var expected = 8 + (long)headerLength + header.DataLength;
            if (size < expected)
                throw Invalid(source, $"truncated: its header and tensors need {expected} bytes but it holds {size}");
            if (size > expected)
                throw Invalid(source, $"{size - expected} unexpected bytes follow the last tensor's data");
        }
        return header;
    }

    static SafetensorsHeader Parse(byte[] json, string source)
    {
        // Checked up front: the JSON reader only notices bad UTF-8 when a name is decoded, and then
        // throws InvalidOperationException rather than a format error.
        if (!System.Text.Unicode.Utf8.IsValid(json))
            throw Invalid(source, "header is not valid UTF-8");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw Invalid(source, $"header is not valid JSON ({e.Message})");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw Invalid(source, "header is not a JSON object");

            var entries = new List<SafetensorsEntry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                    throw Invalid(source, $"header names '{property.Name}' twice");
                if (property.Name == MetadataKey)
                    ReadMetadata(property.Value, source, metadata);
                else
                    entries.Add(ReadEntry(property.Name, property.Value, source));
            }

            entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
            return new SafetensorsHeader(entries, metadata, CheckContiguous(entries, source));
        }
    }

    static void ReadMetadata(JsonElement element, string source, Dictionary<string, string> metadata)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw Invalid(source, $"'{MetadataKey}' is not an object of strings");
        foreach (var item in element.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw Invalid(source, $"metadata '{item.Name}' is not a string");
            metadata[item.Name] = item.Value.GetString()!;
        }
    }

    static SafetensorsEntry ReadEntry(string name, JsonElement element, string source)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw Invalid(source, $"tensor '{name}': header entry is not an object");

        if (!element.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Invalid(source, $"tensor '{name}': header entry has no dtype string");
        var dtypeName = dtypeElement.GetString()!;
        if (!SafetensorsDTypes.TryParse(dtypeName, out var dtype, out var elementSize))
            throw Invalid(source, $"tensor '{name}': unsupported dtype '{dtypeName}' (supported: {SafetensorsDTypes.Supported})");

        var shape = ReadCounts(element, "shape", name, source, expectedCount: null);
        var offsets = ReadCounts(element, "data_offsets", name, source, expectedCount: 2);
        var (begin, end) = (offsets[0], offsets[1]);
        if (end < begin)
            throw Invalid(source, $"tensor '{name}': data_offsets [{begin}, {end}] end before they begin");

        long bytes;
        try
        {
            bytes = checked(shape.Aggregate(1L, (product, dim) => product * dim) * elementSize);
        }
        catch (OverflowException)
        {
            throw Invalid(source, $"tensor '{name}': shape [{string.Join(", ", shape)}] overflows");
        }
        if (bytes != end - begin)
            throw Invalid(source, $"tensor '{name}': shape [{string.Join(", ", shape)}] of {dtypeName} needs {bytes} bytes " +
                                  $"but data_offsets [{begin}, {end}] hold {end - begin}");
        return new SafetensorsEntry(name, dtype, shape, begin, end);
    }

    static long[] ReadCounts(JsonElement entry, string field, string name, string source, int? expectedCount)
    {
        if (!entry.TryGetProperty(field, out var array) || array.ValueKind != JsonValueKind.Array)
            throw Invalid(source, $"tensor '{name}': header entry has no {field} array");
        var values = new long[array.GetArrayLength()];
        if (expectedCount is { } count && values.Length != count)
            throw Invalid(source, $"tensor '{name}': {field} has {values.Length} values, not {count}");
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out var value) || value < 0)
                throw Invalid(source, $"tensor '{name}': {field} holds '{item.GetRawText()}', not a non-negative integer");
            values[i++] = value;
        }
        return values;
    }

    /// <summary>Requires the sorted entries to tile the data section from 0 with no gap or overlap; returns its length.</summary>
    static long CheckContiguous(List<SafetensorsEntry> sorted, string source)
    {
        long next = 0;
        SafetensorsEntry? previous = null;
        foreach (var entry in sorted)
        {
            if (entry.Begin < next)
                throw Invalid(source, $"tensor '{entry.Name}': data_offsets [{entry.Begin}, {entry.End}] overlap " +
                                      $"tensor '{previous!.Name}' [{previous.Begin}, {previous.End}]");
            if (entry.Begin > next)
                throw Invalid(source, $"tensor '{entry.Name}': data_offsets [{entry.Begin}, {entry.End}] leave a gap " +
                                      $"after byte {next}");
            next = entry.End;
            previous = entry;
        }
        return next;
    }

    /// <summary>The header bytes the reference writer produces for these entries: compact JSON padded with spaces to 8 bytes.</summary>
    public static byte[] Serialize(IReadOnlyList<SafetensorsEntry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        // Relaxed escaping writes non-ASCII names as UTF-8 as the reference writer does; the header is
        // never embedded in HTML, the only place the stricter default matters.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(m => m.Key, StringComparer.Ordinal))
                    json.WriteString(key, value);
                json.WriteEndObject();
            }
            foreach (var entry in entries)
            {
                json.WriteStartObject(entry.Name);
                json.WriteString("dtype", SafetensorsDTypes.NameOf(entry.DType));
                json.WriteStartArray("shape");
                foreach (var dim in entry.Shape) json.WriteNumberValue(dim);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(entry.Begin);
                json.WriteNumberValue(entry.End);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        // Pad so the data section starts 8-byte aligned, letting memory-mapping readers view it in place.
        while (buffer.Length % 8 != 0) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    public static InvalidDataException Invalid(string source, string problem) =>
        new($"Invalid safetensors file '{source}': {problem}.");

    static bool TryReadExactly(Stream stream, Span<byte> buffer)
    {
        try
        {
            stream.ReadExactly(buffer);
            return true;
        }
        catch (EndOfStreamException)
        {
            return false;
        }
    }
}
