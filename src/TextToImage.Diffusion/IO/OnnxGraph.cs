using System.Runtime.InteropServices;
using Google.Protobuf;

namespace TextToImage.Diffusion.IO;

/// <summary>One ONNX initializer: its name, dims, data type (ONNX TensorProto.DataType) and little-endian bytes.</summary>
public sealed record OnnxTensor(string Name, long[] Dims, int DataType, ReadOnlyMemory<byte> Data)
{
    public const int Float = 1;
    public const int Int64 = 7;
}

/// <summary>One ONNX node: its operator and the value names it reads and writes.</summary>
public sealed record OnnxNode(string OpType, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs);

/// <summary>
/// The parts of an ONNX model needed to take its weights: the graph's initializers and nodes, read
/// straight from the protobuf wire format with <see cref="CodedInputStream"/> (no generated classes):
/// ModelProto.graph = 7; GraphProto.node = 1, initializer = 5; NodeProto input = 1, output = 2,
/// op_type = 4; TensorProto dims = 1, data_type = 2, float_data = 4, int64_data = 7, name = 8,
/// raw_data = 9. Everything else is skipped. Nested messages are read in place: the file is held
/// once in memory and tensor bytes are slices of it, not copies.
/// </summary>
public sealed class OnnxGraph
{
    OnnxGraph(IReadOnlyDictionary<string, OnnxTensor> initializers, IReadOnlyList<OnnxNode> nodes)
    {
        Initializers = initializers;
        Nodes = nodes;
    }

    public IReadOnlyDictionary<string, OnnxTensor> Initializers { get; }
    public IReadOnlyList<OnnxNode> Nodes { get; }

    /// <summary>
    /// Parses a model. Anything that is not a well-formed ONNX model with a graph (truncated bytes,
    /// another file type) throws <see cref="InvalidDataException"/> naming <paramref name="source"/>.
    /// </summary>
    public static OnnxGraph Read(Stream stream, string source)
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        var file = new ArraySegment<byte>(buffer.GetBuffer(), 0, (int)buffer.Length);
        try
        {
            var graph = Fields(file).Where(f => f.Number == 7 && f.Bytes.Array is not null).Select(f => f.Bytes).ToList();
            if (graph.Count == 0) throw new InvalidDataException($"{source}: not an ONNX model (no graph).");
            return ReadGraph(graph[^1]);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or MalformedException)
        {
            throw new InvalidDataException($"{source}: not a readable ONNX model (truncated or another format): {e.Message}", e);
        }
    }

    static OnnxGraph ReadGraph(ArraySegment<byte> graph)
    {
        var initializers = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        var nodes = new List<OnnxNode>();
        foreach (var field in Fields(graph))
        {
            if (field.Number == 1) nodes.Add(ReadNode(field.Bytes));
            else if (field.Number == 5 && ReadTensor(field.Bytes) is var tensor) initializers[tensor.Name] = tensor;
        }
        return new OnnxGraph(initializers, nodes);
    }

    static OnnxNode ReadNode(ArraySegment<byte> node)
    {
        var (inputs, outputs, opType) = (new List<string>(), new List<string>(), "");
        foreach (var field in Fields(node))
        {
            switch (field.Number)
            {
                case 1: inputs.Add(Text(field.Bytes)); break;
                case 2: outputs.Add(Text(field.Bytes)); break;
                case 4: opType = Text(field.Bytes); break;
            }
        }
        return new OnnxNode(opType, inputs, outputs);
    }

    static OnnxTensor ReadTensor(ArraySegment<byte> tensor)
    {
        var (dims, floats, longs) = (new List<long>(), new List<float>(), new List<long>());
        var (dataType, name, raw) = (0, "", (ReadOnlyMemory<byte>?)null);
        foreach (var field in Fields(tensor))
        {
            switch (field.Number)
            {
                // Repeated numbers come packed (proto3's default) or one per tag: accept both.
                case 1: Repeated(field, dims, i => i.ReadInt64(), v => (long)v); break;
                case 2: dataType = (int)field.Value; break;
                case 4: Repeated(field, floats, i => i.ReadFloat(), v => BitConverter.UInt32BitsToSingle((uint)v)); break;
                case 7: Repeated(field, longs, i => i.ReadInt64(), v => (long)v); break;
                case 8: name = Text(field.Bytes); break;
                case 9: raw = field.Bytes; break;
            }
        }
        // ONNX data is little-endian, as are the machines libtorch runs on.
        var data = raw ?? (floats.Count > 0 ? Bytes(floats) : Bytes(longs));
        return new OnnxTensor(name, [.. dims], dataType, data);
    }

    /// <summary>A field: its number, and either its bytes (length-delimited) or its scalar value.</summary>
    readonly record struct Field(int Number, ArraySegment<byte> Bytes, ulong Value);

    static IEnumerable<Field> Fields(ArraySegment<byte> message)
    {
        var (buffer, position, end) = (message.Array!, message.Offset, message.Offset + message.Count);
        while (position < end)
        {
            // Position is absolute in the buffer; a stream per field keeps nested messages uncopied.
            var input = new CodedInputStream(buffer, position, end - position);
            var tag = input.ReadTag();
            var number = WireFormat.GetTagFieldNumber(tag);
            switch (WireFormat.GetTagWireType(tag))
            {
                case WireFormat.WireType.LengthDelimited:
                    var length = input.ReadLength();
                    var start = (int)input.Position;
                    if (length < 0 || start + length > end)
                        throw new MalformedException($"field {number} runs {start + length - end} bytes past its message");
                    yield return new Field(number, new ArraySegment<byte>(buffer, start, length), 0);
                    position = start + length;
                    break;
                case WireFormat.WireType.Varint:
                    yield return new Field(number, default, input.ReadUInt64());
                    position = (int)input.Position;
                    break;
                case WireFormat.WireType.Fixed32:
                    yield return new Field(number, default, input.ReadFixed32());
                    position = (int)input.Position;
                    break;
                case WireFormat.WireType.Fixed64:
                    yield return new Field(number, default, input.ReadFixed64());
                    position = (int)input.Position;
                    break;
                default:
                    throw new MalformedException($"unsupported wire type in tag {tag}");
            }
        }
    }

    static void Repeated<T>(Field field, List<T> into, Func<CodedInputStream, T> readPacked, Func<ulong, T> fromScalar)
    {
        if (field.Bytes.Array is null)
        {
            into.Add(fromScalar(field.Value));
            return;
        }
        var input = new CodedInputStream(field.Bytes.Array, field.Bytes.Offset, field.Bytes.Count);
        while (!input.IsAtEnd) into.Add(readPacked(input));
    }

    /// <summary>Framing errors CodedInputStream does not see (it reads one field at a time here).</summary>
    sealed class MalformedException(string message) : Exception(message);

    static string Text(ArraySegment<byte> bytes) => System.Text.Encoding.UTF8.GetString(bytes);

    static byte[] Bytes<T>(List<T> values) where T : unmanaged => MemoryMarshal.AsBytes(CollectionsMarshal.AsSpan(values)).ToArray();
}
