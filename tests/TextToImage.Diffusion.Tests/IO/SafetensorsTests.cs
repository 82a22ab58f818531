using System.Buffers.Binary;
using System.Text;
using TextToImage.Diffusion.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Tests.IO;

public sealed class SafetensorsTests : IDisposable
{
    readonly TempFolder _dir = new();
    readonly DisposeScope _scope = NewDisposeScope();

    public void Dispose()
    {
        _scope.Dispose();
        _dir.Dispose();
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    [InlineData(ScalarType.Float64)]
    public void Floating_tensors_round_trip_exactly(ScalarType dtype)
    {
        var original = randn(3, 4, 5, generator: Seeded(1)).to_type(dtype);
        var path = _dir["w.safetensors"];

        Safetensors.Save(path, [new("w", original)]);
        var loaded = Safetensors.Load(path)["w"];

        Assert.Equal(dtype, loaded.dtype);
        Assert.Equal(original.shape, loaded.shape);
        TensorAssert.Same(original, loaded);
    }

    [Fact]
    public void Integer_and_bool_tensors_round_trip_exactly()
    {
        var tensors = new Dictionary<string, Tensor>
        {
            ["i64"] = tensor(new long[] { long.MinValue, -1, 0, long.MaxValue }),
            ["i32"] = tensor(new[] { int.MinValue, 7, int.MaxValue }),
            ["i16"] = tensor(new short[] { short.MinValue, 3, short.MaxValue }),
            ["i8"] = tensor(new sbyte[] { -128, 0, 127 }),
            ["u8"] = tensor(new byte[] { 0, 128, 255 }),
            ["bool"] = tensor(new[] { true, false, true }),
        };
        var path = _dir["ints.safetensors"];

        Safetensors.Save(path, tensors);
        var loaded = Safetensors.Load(path);

        Assert.Equal(tensors.Keys.Order(), loaded.Keys.Order());
        foreach (var (name, expected) in tensors)
        {
            Assert.Equal(expected.dtype, loaded[name].dtype);
            TensorAssert.Same(expected, loaded[name], name);
        }
    }

    [Theory]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    public void Save_converts_floating_tensors_and_leaves_integers_alone(ScalarType dtype)
    {
        var weight = randn(8, 8, generator: Seeded(2));
        var steps = arange(5, ScalarType.Int64);
        var path = _dir["half.safetensors"];

        Safetensors.Save(path, [new("weight", weight), new("steps", steps)], dtype);
        var loaded = Safetensors.Load(path);

        Assert.Equal(dtype, loaded["weight"].dtype);
        // Equal after the dtype's own rounding: the file holds exactly weight.to(dtype).
        TensorAssert.Same(weight.to_type(dtype), loaded["weight"]);
        Assert.Equal(ScalarType.Int64, loaded["steps"].dtype);
        TensorAssert.Same(steps, loaded["steps"]);
        // The caller's tensor is untouched by the conversion.
        Assert.Equal(ScalarType.Float32, weight.dtype);
    }

    [Fact]
    public void Save_rejects_a_non_floating_conversion_dtype()
    {
        var path = _dir["x.safetensors"];
        Assert.Throws<ArgumentException>(() => Safetensors.Save(path, [new("w", ones(2))], ScalarType.Int32));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Scalars_and_empty_tensors_round_trip()
    {
        var path = _dir["edge.safetensors"];
        Safetensors.Save(path, [new("scalar", tensor(3.5f)), new("empty", zeros(0, 3))]);
        var loaded = Safetensors.Load(path);

        Assert.Empty(loaded["scalar"].shape);
        Assert.Equal(3.5f, loaded["scalar"].item<float>());
        Assert.Equal([0L, 3L], loaded["empty"].shape);
    }

    [Fact]
    public void A_tensor_larger_than_one_io_chunk_round_trips()
    {
        // 12 MiB: more than the 8 MiB chunk, and not a multiple of it, so the last chunk is partial.
        var big = randn(3 * 1024 * 1024 + 5, generator: Seeded(3));
        var path = _dir["big.safetensors"];

        Safetensors.Save(path, [new("big", big)]);

        TensorAssert.Same(big, Safetensors.Load(path)["big"]);
    }

    [Fact]
    public void Non_contiguous_and_grad_tracking_tensors_save_their_values()
    {
        var parameter = randn(4, 6, generator: Seeded(4)).requires_grad_();
        var transposed = randn(3, 5, generator: Seeded(5)).t();
        var path = _dir["views.safetensors"];

        Safetensors.Save(path, [new("p", parameter), new("t", transposed)]);
        var loaded = Safetensors.Load(path);

        TensorAssert.Same(parameter.detach(), loaded["p"]);
        TensorAssert.Same(transposed, loaded["t"]);
        Assert.False(loaded["p"].requires_grad);
        // Saving released only its own handles: the caller's tensors are still alive.
        Assert.False(parameter.IsInvalid);
        Assert.Equal(24, parameter.numel());
    }

    [Fact]
    public void Metadata_round_trips_and_is_readable_without_loading_tensors()
    {
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "Zürich ✓ 🐱" };
        var path = _dir["meta.safetensors"];

        Safetensors.Save(path, [new("w", ones(2))], metadata: metadata);

        Assert.Equal(metadata.OrderBy(m => m.Key), Safetensors.ReadMetadata(path).OrderBy(m => m.Key));
    }

    [Fact]
    public void A_file_without_metadata_reads_back_empty_metadata()
    {
        var path = _dir["plain.safetensors"];
        Safetensors.Save(path, [new("w", ones(2))]);
        Assert.Empty(Safetensors.ReadMetadata(path));
    }

    [Fact]
    public void A_single_tensor_file_has_the_reference_byte_layout()
    {
        var path = _dir["attn.safetensors"];
        Safetensors.Save(path, [new("attn0", arange(6, ScalarType.Float32).reshape(1, 1, 2, 3))]);

        const string json = """{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}""";
        // 65 bytes of JSON, padded with spaces to 72 so the data starts 8-byte aligned.
        var header = json + new string(' ', 7);
        var expected = new List<byte>();
        expected.AddRange(LittleEndian((ulong)header.Length));
        expected.AddRange(Encoding.ASCII.GetBytes(header));
        for (var i = 0; i < 6; i++) expected.AddRange(LittleEndian((float)i));

        Assert.Equal(72, header.Length);
        Assert.Equal(expected.ToArray(), File.ReadAllBytes(path));
    }

    [Fact]
    public void An_empty_file_with_metadata_has_the_reference_byte_layout()
    {
        var path = _dir["empty.safetensors"];
        Safetensors.Save(path, [], metadata: new Dictionary<string, string> { ["framework"] = "pt" });

        var header = """{"__metadata__":{"framework":"pt"}}""" + new string(' ', 5);
        var expected = LittleEndian((ulong)header.Length).Concat(Encoding.ASCII.GetBytes(header)).ToArray();

        Assert.Equal(expected, File.ReadAllBytes(path));
    }

    [Fact]
    public void Mixed_dtypes_are_ordered_by_descending_alignment_then_name()
    {
        var path = _dir["mixed.safetensors"];
        Safetensors.Save(path,
        [
            new("c_bytes", tensor(new byte[] { 1, 2, 3 })),
            new("b_half", ones(1, ScalarType.Float16)),
            new("z_float", ones(1)),
            new("a_float", zeros(1)),
        ]);

        var bytes = File.ReadAllBytes(path);
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var header = Encoding.UTF8.GetString(bytes, 8, headerLength);

        Assert.Equal(0, headerLength % 8);
        Assert.Equal(
            """{"a_float":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"z_float":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"b_half":{"dtype":"F16","shape":[1],"data_offsets":[8,10]},"c_bytes":{"dtype":"U8","shape":[3],"data_offsets":[10,13]}}""",
            header.TrimEnd(' '));
        Assert.Equal(8 + headerLength + 13, bytes.Length);
    }

    [Fact]
    public void Saving_replaces_an_existing_file_and_leaves_no_temp_files()
    {
        var path = _dir["model.safetensors"];
        Safetensors.Save(path, [new("w", zeros(3))]);
        Safetensors.Save(path, [new("w", ones(3))]);

        Assert.Equal(3f, Safetensors.Load(path)["w"].sum().item<float>());
        Assert.Equal(["model.safetensors"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_failed_save_leaves_the_existing_file_untouched()
    {
        var path = _dir["model.safetensors"];
        Safetensors.Save(path, [new("w", ones(3))]);
        var before = File.ReadAllBytes(path);

        Assert.Throws<ArgumentException>(() => Safetensors.Save(path, [new("w", zeros(3)), new("w", zeros(3))]));
        Assert.Throws<ArgumentException>(() => Safetensors.Save(path, [new("__metadata__", zeros(3))]));
        Assert.Throws<ArgumentException>(() => Safetensors.Save(path, [new("c", zeros(3, ScalarType.ComplexFloat32))]));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(_dir.Path));
    }

    [Fact]
    public void Load_from_a_forward_only_stream_reads_every_tensor()
    {
        var path = _dir["s.safetensors"];
        Safetensors.Save(path, [new("a", arange(10, ScalarType.Float32)), new("b", arange(4, ScalarType.Int32))]);

        using var stream = new ForwardOnlyStream(new MemoryStream(File.ReadAllBytes(path)));
        var loaded = Safetensors.Load(stream);

        Assert.Equal(45f, loaded["a"].sum().item<float>());
        Assert.Equal(6L, loaded["b"].sum().item<long>());
    }

    [Fact]
    public void Include_loads_only_the_selected_tensors()
    {
        var path = _dir["parts.safetensors"];
        Safetensors.Save(path,
        [
            new("unet.w", full(2, 1f)), new("vae.w", full(3, 2f)), new("unet.b", full(4, 3f)),
        ]);

        foreach (var stream in new Stream[] { File.OpenRead(path), new ForwardOnlyStream(File.OpenRead(path)) })
        {
            using (stream)
            {
                var loaded = Safetensors.Load(stream, include: name => name.StartsWith("unet.", StringComparison.Ordinal));
                Assert.Equal(["unet.b", "unet.w"], loaded.Keys.Order());
                Assert.Equal(12f, loaded["unet.b"].sum().item<float>());
                Assert.Equal(2f, loaded["unet.w"].sum().item<float>());
            }
        }
    }

    [Fact]
    public void Load_places_tensors_on_the_requested_device()
    {
        var path = _dir["d.safetensors"];
        Safetensors.Save(path, [new("w", ones(2))]);
        var device = cuda.is_available() ? CUDA : CPU;

        var loaded = Safetensors.Load(path, device)["w"];

        Assert.Equal(device.type, loaded.device_type);
        Assert.Equal(2f, loaded.sum().item<float>());
    }

    // A private generator: the global one is shared with tests that check seeded sequences.
    static Generator Seeded(ulong seed) => new(seed, CPU);

    static byte[] LittleEndian(ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return bytes;
    }

    static byte[] LittleEndian(float value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        return bytes;
    }
}
