using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Tests.Text;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Tests.IO;

/// <summary>The Hugging Face weight layouts: one file, an fp16 variant, shards by index, and what a broken folder says.</summary>
public sealed class PretrainedWeightsTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("pretrained-weights-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    static IReadOnlyDictionary<string, Tensor> Sharded => PretrainedWeights.Load(T5EncoderParityTests.Fixture, "model");

    [Fact]
    public void Shards_load_as_the_union_the_index_lists()
    {
        using var scope = NewDisposeScope();
        var weights = Sharded;
        var singleShard = Safetensors.Load(Path.Combine(T5EncoderParityTests.Fixture, "model-00001-of-00002.safetensors"));
        Assert.True(weights.Count > singleShard.Count);
        Assert.Contains("shared.weight", weights.Keys);
        Assert.Contains("encoder.final_layer_norm.weight", weights.Keys);
        Assert.All(singleShard, p => Assert.True(TensorAssert.Equal(p.Value, weights[p.Key])));
    }

    [Fact]
    public void A_single_file_and_an_fp16_variant_alone_both_load_and_the_include_filter_applies()
    {
        using var scope = NewDisposeScope();
        var weights = Sharded;
        Safetensors.Save(Path.Combine(folder, "diffusion_pytorch_model.fp16.safetensors"), weights, ScalarType.Float16);
        var variant = PretrainedWeights.Load(folder, "diffusion_pytorch_model", include: name => name.StartsWith("encoder."));
        Assert.Equal(weights.Keys.Count(k => k.StartsWith("encoder.")), variant.Count);
        Assert.All(variant.Values, t => Assert.Equal(ScalarType.Float16, t.dtype));

        Safetensors.Save(Path.Combine(folder, "diffusion_pytorch_model.safetensors"), weights);
        var full = PretrainedWeights.Load(folder, "diffusion_pytorch_model");
        Assert.All(full.Values, t => Assert.Equal(ScalarType.Float32, t.dtype));   // full precision first when both exist
        Assert.All(PretrainedWeights.Load(folder, "diffusion_pytorch_model", variant: "fp16").Values, t => Assert.Equal(ScalarType.Float16, t.dtype));
    }

    [Fact]
    public void A_missing_shard_a_shard_outside_the_folder_and_no_weights_are_named()
    {
        T5EncoderParityTests.CopyFolder(T5EncoderParityTests.Fixture, folder);
        var absent = Assert.Throws<FileNotFoundException>(() => PretrainedWeights.Load(folder, "unet"));
        Assert.Contains("unet.safetensors", absent.Message);
        Assert.Contains("model.safetensors.index.json", absent.Message);   // what the folder does hold

        var index = Path.Combine(folder, "model.safetensors.index.json");
        var text = File.ReadAllText(index);
        File.WriteAllText(index, text.Replace("model-00002-of-00002.safetensors", "../model-00002-of-00002.safetensors"));
        Assert.Contains("not a file name beside the index", Assert.Throws<InvalidDataException>(() => PretrainedWeights.Load(folder, "model")).Message);

        File.WriteAllText(index, text);
        File.Delete(Path.Combine(folder, "model-00002-of-00002.safetensors"));
        Assert.Contains("model-00002-of-00002.safetensors", Assert.Throws<FileNotFoundException>(() => PretrainedWeights.Load(folder, "model")).Message);

        File.WriteAllText(index, "{\"metadata\": {}}");
        Assert.Contains("weight_map", Assert.Throws<InvalidDataException>(() => PretrainedWeights.Load(folder, "model")).Message);
    }
}
