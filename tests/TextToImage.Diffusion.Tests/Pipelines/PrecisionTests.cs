using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Pipelines;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Tests.Pipelines;

public sealed class PrecisionTests
{
    [Fact]
    public void Half_precision_weights_load_and_a_bfloat16_cascade_tracks_float32()
    {
        using var temp = new TempFolder();
        RandomCascade.Create(temp.Path, "tiny", seed: 5, weightsDType: ScalarType.Float16);
        var stored = Safetensors.Load(Path.Combine(temp.Path, "base", ModelFolder.WeightsFile));
        Assert.All(stored.Values, t => Assert.Equal(ScalarType.Float16, t.dtype));
        foreach (var t in stored.Values) t.Dispose();

        using var fp32 = ModelFolder.Load(temp.Path, ComputeTarget.Cpu);
        using var bf16 = ModelFolder.Load(temp.Path, ComputeTarget.Resolve("cpu", "bfloat16"));
        Assert.Equal(ScalarType.BFloat16, bf16.Stages[0].Network.parameters().First().dtype);

        var request = TinyCascade.Request(resolution: 32);
        using var reference = new CascadePipeline(fp32).Generate(request);
        using var reduced = new CascadePipeline(bf16).Generate(request);

        Assert.Equal(ScalarType.Float32, reduced.Final.Images.dtype);
        Assert.True(reduced.Final.Images.isfinite().all().item<bool>());
        // Same noise, same weights: bf16 rounding (8 bits of mantissa) moves pixels, not the picture.
        var meanError = (reduced.Final.Images - reference.Final.Images).abs().mean().item<float>();
        Assert.InRange(meanError, 0f, 0.1f);
    }

    [Fact]
    public void A_stage_built_in_its_precision_holds_the_weights_a_float32_build_converted_would()
    {
        using var temp = new TempFolder();
        RandomCascade.Create(temp.Path, "tiny", seed: 6);
        using var fp32 = ModelFolder.Load(temp.Path, ComputeTarget.Cpu);
        // bfloat16: float16 is refused on CPU (ComputeTarget), and its path is the same code with another dtype.
        using var reduced = ModelFolder.Load(temp.Path, ComputeTarget.Resolve("cpu", "bfloat16"));
        for (var i = 0; i < fp32.Stages.Count; i++)
        {
            var expected = fp32.Stages[i].Network.state_dict();
            foreach (var (name, value) in reduced.Stages[i].Network.state_dict())
            {
                Assert.Equal(ScalarType.BFloat16, value.dtype);
                using var converted = expected[name].to_type(ScalarType.BFloat16);
                TensorAssert.Same(converted, value, name);
            }
        }
    }
}
