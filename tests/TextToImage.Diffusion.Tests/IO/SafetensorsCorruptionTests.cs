using System.Buffers.Binary;
using System.Text;
using TextToImage.Diffusion.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Tests.IO;

/// <summary>Every malformed file must fail with InvalidDataException naming the file (and the tensor at fault).</summary>
public sealed class SafetensorsCorruptionTests : IDisposable
{
    readonly TempFolder _dir = new();
    readonly DisposeScope _scope = NewDisposeScope();

    public void Dispose()
    {
        _scope.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void A_file_shorter_than_the_length_prefix_is_rejected()
    {
        var error = LoadFails(new byte[] { 1, 0, 0 });
        Assert.Contains("8-byte header length", error.Message);
    }

    [Fact]
    public void A_header_length_beyond_the_file_is_rejected()
    {
        var bytes = Build("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", new byte[4]);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 10_000);

        var error = LoadFails(bytes);
        Assert.Contains("10000-byte header", error.Message);
    }

    [Fact]
    public void An_absurd_header_length_is_rejected_before_allocating_it()
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue);
        Assert.Contains("limit", LoadFails(bytes).Message);
    }

    [Fact]
    public void A_header_that_is_not_json_is_rejected()
    {
        Assert.Contains("not valid JSON", LoadFails(Build("""{"w":{"dtype":"F32",""", [])).Message);
    }

    [Fact]
    public void A_header_that_is_not_utf8_is_rejected()
    {
        // A tensor name holding a lone 0xFF byte, which no UTF-8 text contains.
        var json = Encoding.ASCII.GetBytes("""{"w?":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}""");
        json[3] = 0xFF;
        var bytes = new byte[8 + json.Length + 1];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);

        Assert.Contains("not valid UTF-8", LoadFails(bytes).Message);
    }

    [Fact]
    public void A_header_that_is_not_an_object_is_rejected()
    {
        Assert.Contains("not a JSON object", LoadFails(Build("[1,2]", [])).Message);
    }

    [Fact]
    public void An_unknown_dtype_is_rejected_naming_tensor_and_dtype()
    {
        var error = LoadFails(Build("""{"w":{"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]}}""", new byte[4]));
        Assert.Contains("'w'", error.Message);
        Assert.Contains("F8_E4M3", error.Message);
    }

    [Fact]
    public void Overlapping_offsets_are_rejected()
    {
        var error = LoadFails(Build(
            """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""",
            new byte[12]));
        Assert.Contains("overlap", error.Message);
        Assert.Contains("'b'", error.Message);
    }

    [Fact]
    public void A_gap_between_tensors_is_rejected()
    {
        var error = LoadFails(Build(
            """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""",
            new byte[12]));
        Assert.Contains("gap", error.Message);
    }

    [Fact]
    public void A_shape_that_does_not_match_the_byte_length_is_rejected()
    {
        var error = LoadFails(Build("""{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", new byte[8]));
        Assert.Contains("'w'", error.Message);
        Assert.Contains("12 bytes", error.Message);
    }

    [Fact]
    public void Offsets_that_end_before_they_begin_are_rejected()
    {
        var error = LoadFails(Build("""{"w":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}""", []));
        Assert.Contains("end before they begin", error.Message);
    }

    [Fact]
    public void A_negative_dimension_is_rejected()
    {
        var error = LoadFails(Build("""{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", new byte[4]));
        Assert.Contains("non-negative integer", error.Message);
    }

    [Fact]
    public void A_shape_whose_size_overflows_is_rejected()
    {
        var error = LoadFails(Build(
            """{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}""", new byte[4]));
        Assert.Contains("overflows", error.Message);
    }

    [Fact]
    public void A_duplicate_tensor_name_is_rejected()
    {
        var error = LoadFails(Build(
            """{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}""",
            new byte[2]));
        Assert.Contains("twice", error.Message);
    }

    [Fact]
    public void Metadata_values_must_be_strings()
    {
        var error = LoadFails(Build("""{"__metadata__":{"epochs":3}}""", []));
        Assert.Contains("epochs", error.Message);
    }

    [Fact]
    public void A_truncated_data_section_is_rejected()
    {
        var complete = Build("""{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", new byte[16]);
        var error = LoadFails(complete[..^3]);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void A_truncated_forward_only_stream_is_rejected_naming_the_tensor()
    {
        var complete = Build(
            """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[4],"data_offsets":[4,20]}}""",
            new byte[20]);
        using var stream = new ForwardOnlyStream(new MemoryStream(complete[..^3]));

        var error = Assert.Throws<InvalidDataException>(() => Safetensors.Load(stream));
        Assert.Contains("'w'", error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void Bytes_after_the_last_tensor_are_rejected()
    {
        var bytes = Build("""{"w":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}""", new byte[5]);
        Assert.Contains("follow the last tensor", LoadFails(bytes).Message);
    }

    [Fact]
    public void ReadMetadata_validates_the_header_too()
    {
        var path = _dir["bad.safetensors"];
        File.WriteAllBytes(path, Build("""{"w":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}""", new byte[1]));

        var error = Assert.Throws<InvalidDataException>(() => Safetensors.ReadMetadata(path));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void A_hand_written_valid_file_loads()
    {
        // The control for the cases above: the same builder gives a file that loads.
        var data = new byte[8];
        BinaryPrimitives.WriteSingleLittleEndian(data, 1.5f);
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4), -2f);
        var path = _dir["good.safetensors"];
        File.WriteAllBytes(path, Build("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", data));

        var w = Safetensors.Load(path)["w"];
        Assert.Equal([1.5f, -2f], w.data<float>().ToArray());
    }

    InvalidDataException LoadFails(byte[] bytes)
    {
        var path = _dir[$"corrupt-{Guid.NewGuid():N}.safetensors"];
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<InvalidDataException>(() => Safetensors.Load(path));
        Assert.Contains(path, error.Message);
        return error;
    }

    /// <summary>A file from a literal header (unpadded: readers must not require the padding) and data.</summary>
    static byte[] Build(string header, byte[] data)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + json.Length);
        return bytes;
    }
}
