using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Samplers;
using TextToImage.Diffusion.Pipelines;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Tests.Pipelines;

/// <summary>
/// The one stage sampler in its two modes, on the stage level (the evaluation calls it so, with a prompt per image):
/// one image runs the same forward (its prompt and contrast rows) in both, with the same draws, so they agree to float
/// rounding (measured on the CPU: bitwise equal); in a batch of three, convolution blocking changes the last bits
/// (measured: at most 6e-6 on the [-1, 1] scale after 4 DDPM steps).
/// </summary>
public sealed class StageSamplerModeTests(TinyCascade tiny, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<TinyCascade>
{
    const double OneImageTolerance = 1e-6;
    const double BatchTolerance = 1e-4;

    [Theory]
    [InlineData("ddpm")]
    [InlineData("ddim")]
    [InlineData("dpmpp-2m")]
    public void One_image_is_the_same_in_both_modes(string sampler)
    {
        var stage = tiny.Model.Stages[0];
        var settings = StageSettings.Resolve(stage, new StageOptions { Sampler = sampler, Steps = 4, GuidanceScale = 3 });
        var difference = OneImageDifference(stage, settings, "a red apple", 42, lowResolution: null);
        output.WriteLine($"{sampler}: max |difference| {difference}");
        Assert.True(difference <= OneImageTolerance, $"{sampler}: max |difference| {difference}");
    }

    [Fact]
    public void One_super_resolution_image_is_the_same_in_both_modes_augmentation_noise_included()
    {
        var stage = tiny.Model.Stages[1];
        var settings = StageSettings.Resolve(stage, new StageOptions { Sampler = "ddpm", Steps = 3, GuidanceScale = 2, NoiseLevel = 100 });
        using var generator = new Generator(9);
        using var low = rand([1, 3, 16, 16], generator: generator).mul(2).sub(1);
        var difference = OneImageDifference(stage, settings, "a blue car", 7, low);
        output.WriteLine($"sr: max |difference| {difference}");
        Assert.True(difference <= OneImageTolerance, $"max |difference| {difference}");
    }

    [Fact]
    public void Image_i_of_a_batch_with_its_own_prompt_is_image_i_alone_up_to_batch_rounding()
    {
        var stage = tiny.Model.Stages[0];
        var settings = StageSettings.Resolve(stage, new StageOptions { Sampler = "ddpm", Steps = 4, GuidanceScale = 3 });
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        using var encoded = tiny.Model.TextEncoder.Encode(["a red apple", "a blue car", "cat face, flat style", ""]);
        using var text = encoded.Select([0, 1, 2, 3, 3, 3]);   // three prompts, then three unconditional rows
        var batch = Sample(stage, settings, SamplingMode.Batched, text, [5, 6, 7], null);
        for (var i = 0; i < 3; i++)
        {
            using var one = encoded.Select([i, 3]);
            var alone = Sample(stage, settings, SamplingMode.Batched, one, [5 + i], null);
            var difference = (batch[i..(i + 1)] - alone).abs().max().item<float>();
            output.WriteLine($"image {i}: max |difference| {difference}");
            Assert.True(difference <= BatchTolerance, $"image {i}: max |difference| {difference}");
        }
        Assert.False(batch[0].allclose(batch[1]));
        // The text rows must be one per image (and one more per image when guiding).
        Assert.Throws<ArgumentException>(() => Sample(stage, settings, SamplingMode.Batched, text, [5, 6], null));
    }

    static Tensor Sample(CascadeStage stage, StageSettings settings, SamplingMode mode, TextToImage.Diffusion.Text.TextEmbeddings text, long[] seeds, Tensor? lowResolution)
    {
        using var noise = new PerSampleNoise(seeds.Select(s => new Generator((ulong)s)).ToList());
        return new StageSampler(stage, settings, noise, ComputeTarget.Cpu, mode).Sample(seeds.Length, text, lowResolution, null, (_, _) => { }, CancellationToken.None);
    }

    /// <summary>Max |per-image − batched| over one image's pixels ([-1, 1] scale).</summary>
    double OneImageDifference(CascadeStage stage, StageSettings settings, string prompt, long seed, Tensor? lowResolution)
    {
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        using var encoded = tiny.Model.TextEncoder.Encode([prompt, ""]);
        using var text = encoded.Select(settings.UsesGuidance ? [0, 1] : [0]);
        var perImage = Sample(stage, settings, SamplingMode.PerImage, text, [seed], lowResolution);
        var batched = Sample(stage, settings, SamplingMode.Batched, text, [seed], lowResolution);
        Assert.True(perImage.isfinite().all().item<bool>());
        return (perImage - batched).abs().max().item<float>();
    }
}
