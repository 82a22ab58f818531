using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Pipelines;
using TextToImage.Diffusion.Samplers;
using TextToImage.Training.Evaluation;
using static TorchSharp.torch;

namespace TextToImage.Training.Tests.Evaluation;

/// <summary>
/// The evaluation's batched loop against the service's one-image <see cref="StageSampler"/>: one image
/// runs the same forward (its prompt and unconditional rows) with the same draws, so it must agree to
/// float rounding (measured on the CPU: bitwise equal, difference 0); in a batch of three, convolution
/// blocking changes the last bits (measured: at most 6e-6 on the [-1, 1] scale after 4 DDPM steps).
/// </summary>
public sealed class BatchedStageSamplerTests(TinyModel tiny, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<TinyModel>
{
    const double OneImageTolerance = 1e-6;
    const double BatchTolerance = 1e-4;

    [Theory]
    [InlineData("ddpm")]
    [InlineData("ddim")]
    [InlineData("dpmpp-2m")]
    public void One_image_equals_the_stage_sampler_with_the_same_seed(string sampler)
    {
        var stage = tiny.Model.Stages[0];
        var settings = StageSettings.Resolve(stage, new StageOptions { Sampler = sampler, Steps = 4, GuidanceScale = 3 });
        var difference = MaxDifference(stage, settings, "a red apple", 42, lowResolution: null);
        output.WriteLine($"{sampler}: max |difference| {difference}");
        Assert.True(difference <= OneImageTolerance, $"{sampler}: max |difference| {difference}");
    }

    [Fact]
    public void One_super_resolution_image_equals_the_stage_sampler_augmentation_noise_included()
    {
        var stage = tiny.Model.Stages[1];
        var settings = StageSettings.Resolve(stage, new StageOptions { Sampler = "ddpm", Steps = 3, GuidanceScale = 2, NoiseLevel = 100 });
        using var generator = new TorchSharp.torch.Generator(9);
        using var low = rand([1, 3, 16, 16], generator: generator).mul(2).sub(1);
        var difference = MaxDifference(stage, settings, "a blue car", 7, low);
        output.WriteLine($"sr: max |difference| {difference}");
        Assert.True(difference <= OneImageTolerance, $"max |difference| {difference}");
    }

    [Fact]
    public void Image_i_of_a_batch_is_image_i_alone_up_to_batch_rounding()
    {
        var stage = tiny.Model.Stages[0];
        var settings = StageSettings.Resolve(stage, new StageOptions { Sampler = "ddpm", Steps = 4, GuidanceScale = 3 });
        string[] prompts = ["a red apple", "a blue car", "cat face, flat style"];
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        using var encoded = tiny.Model.TextEncoder.Encode([.. prompts, ""]);
        var sampler = new BatchedStageSampler(stage, settings, ComputeTarget.Cpu);
        using var text = sampler.Conditioning(encoded, [0, 1, 2], 3);
        var batch = sampler.Sample(text, [5, 6, 7], null);
        for (var i = 0; i < 3; i++)
        {
            using var one = sampler.Conditioning(encoded, [i], 3);
            var alone = sampler.Sample(one, [5 + i], null);
            var difference = (batch[i..(i + 1)] - alone).abs().max().item<float>();
            output.WriteLine($"image {i}: max |difference| {difference}");
            Assert.True(difference <= BatchTolerance, $"image {i}: max |difference| {difference}");
        }
        Assert.False(batch[0].allclose(batch[1]));
    }

    /// <summary>Max |StageSampler − BatchedStageSampler| over one image's pixels ([-1, 1] scale).</summary>
    double MaxDifference(CascadeStage stage, StageSettings settings, string prompt, long seed, Tensor? lowResolution)
    {
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        using var encoded = tiny.Model.TextEncoder.Encode([prompt, ""]);
        using var oneImageText = encoded.Select(settings.UsesGuidance ? [0, 1] : [0]);
        using var noise = new PerSampleNoise([new TorchSharp.torch.Generator((ulong)seed)]);
        var expected = new StageSampler(stage, settings, noise, ComputeTarget.Cpu).Sample(1, oneImageText, lowResolution, null, (_, _) => { }, CancellationToken.None);

        var sampler = new BatchedStageSampler(stage, settings, ComputeTarget.Cpu);
        using var text = sampler.Conditioning(encoded, [0], 1);
        var actual = sampler.Sample(text, [seed], lowResolution);
        Assert.True(expected.isfinite().all().item<bool>());
        return (expected - actual).abs().max().item<float>();
    }
}
