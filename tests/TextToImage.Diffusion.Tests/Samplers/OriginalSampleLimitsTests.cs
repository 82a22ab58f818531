using TextToImage.Diffusion.Samplers;
using TorchSharp;
using static TextToImage.Diffusion.Tests.Samplers.DiffusersFixtures;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Tests.Samplers;

/// <summary>Clipping and dynamic thresholding of x₀, seen through a step with a sample prediction.</summary>
public sealed class OriginalSampleLimitsTests
{
    static float[] PredictedOriginal(SchedulerConfig config, Tensor x0, SamplerKind kind = SamplerKind.Ddpm)
    {
        using var scheduler = SchedulerFactory.Create(kind, config with { PredictionType = "sample" });
        scheduler.SetTimesteps(10);
        using var noise = new ZeroNoise();
        var output = scheduler.Step(x0, scheduler.Timesteps[0], zeros_like(x0), noise).PredOriginalSample;
        return output.to_type(ScalarType.Float32).data<float>().ToArray();
    }

    // Row 0: |x| sorted is 0.5, 1.2, 2, 3, whose median (linear) is 1.6; row 1's is 0.3.
    static Tensor Rows() => tensor(new[] { 0.5f, -3f, 1.2f, 2f, 0.2f, -0.4f, 0.6f, 0.1f }, [2, 1, 1, 4]);

    [Theory]
    [InlineData(SamplerKind.Ddpm)]
    [InlineData(SamplerKind.Ddim)]
    [InlineData(SamplerKind.DpmSolverPlusPlus2M)]
    public void Dynamic_thresholding_divides_by_the_clamped_per_sample_quantile(SamplerKind kind)
    {
        using var scope = NewDisposeScope();
        var config = DdpmConfig with { Thresholding = true, DynamicThresholdingRatio = 0.5, SampleMaxValue = 1.5 };
        var actual = PredictedOriginal(config, Rows(), kind);
        // Row 0: s = min(1.6, 1.5) = 1.5. Row 1: s = max(0.3, 1) = 1, so it only clips (nothing to clip).
        float[] expected = [0.5f / 1.5f, -1f, 0.8f, 1f, 0.2f, -0.4f, 0.6f, 0.1f];
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-6f);
    }

    [Fact]
    public void A_sample_max_value_below_one_wins_over_the_floor_of_one()
    {
        // torch.clamp(s, min=1, max=0.5) is 0.5, which diffusers' test_full_loop_no_noise_thres relies on.
        using var scope = NewDisposeScope();
        var actual = PredictedOriginal(DdpmConfig with { Thresholding = true, DynamicThresholdingRatio = 0.5, SampleMaxValue = 0.5 }, Rows());
        float[] expected = [1f, -1f, 1f, 1f, 0.4f, -0.8f, 1f, 0.2f];
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-6f);
    }

    [Fact]
    public void Half_precision_is_thresholded_in_float32_and_returned_in_half()
    {
        using var scope = NewDisposeScope();
        var config = DdpmConfig with { Thresholding = true, DynamicThresholdingRatio = 0.5, SampleMaxValue = 1.5 };
        var single = PredictedOriginal(config, Rows());
        var half = PredictedOriginal(config, Rows().to_type(ScalarType.Float16));
        for (var i = 0; i < single.Length; i++) Assert.Equal(single[i], half[i], 1e-3f);
    }

    [Fact]
    public void Thresholding_takes_precedence_over_clipping()
    {
        using var scope = NewDisposeScope();
        var config = DdpmConfig with { Thresholding = true, DynamicThresholdingRatio = 0.5, SampleMaxValue = 1.5, ClipSample = true, ClipSampleRange = 0.1 };
        Assert.Equal(0.8f, PredictedOriginal(config, Rows())[2], 1e-6f);
    }

    [Theory]
    [InlineData(true, 2.0, new[] { 0.5f, -2f, 1.2f, 2f })]
    [InlineData(true, 1.0, new[] { 0.5f, -1f, 1f, 1f })]
    [InlineData(false, 1.0, new[] { 0.5f, -3f, 1.2f, 2f })]
    public void Clip_sample_clamps_to_the_range(bool clip, double range, float[] expectedRow0)
    {
        using var scope = NewDisposeScope();
        var actual = PredictedOriginal(DdpmConfig with { ClipSample = clip, ClipSampleRange = range }, Rows());
        Assert.Equal(expectedRow0, actual.Take(4));
    }

    [Fact]
    public void Clip_sample_defaults_to_on_for_ddpm_and_ddim_and_dpm_solver_ignores_it()
    {
        using var scope = NewDisposeScope();
        var unset = DdpmConfig with { ClipSample = null };
        Assert.Equal(-1f, PredictedOriginal(unset, Rows(), SamplerKind.Ddpm)[1]);
        Assert.Equal(-1f, PredictedOriginal(unset, Rows(), SamplerKind.Ddim)[1]);
        Assert.Equal(-3f, PredictedOriginal(unset, Rows(), SamplerKind.DpmSolverPlusPlus2M)[1]);
        // diffusers' DPMSolverMultistepScheduler has no clip_sample: a DDPM-style config's clip does not apply.
        Assert.Equal(-3f, PredictedOriginal(unset with { ClipSample = true }, Rows(), SamplerKind.DpmSolverPlusPlus2M)[1]);
    }
}
