using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Pipelines;
using TorchSharp;

namespace TextToImage.Diffusion.Tests.Pipelines;

/// <summary>The samplers on the bundled fluent-emoji cascade (copied beside the tests by the test csproj).</summary>
public sealed class BundledModelSamplerTests
{
    static readonly string BundledFolder = Path.Combine(AppContext.BaseDirectory, "models", "fluent-emoji");

    [Fact]
    public void DDIM_and_DPM_Solver_draw_the_same_picture_from_the_same_noise()
    {
        // Deterministic DDIM and DPM-Solver++ integrate the same probability-flow ODE: from one seed
        // they must land on nearly the same image. With clip_sample on, DDIM clamped x₀ but kept the ε
        // of the unclamped guided prediction, and drew colour noise instead (the model's configs now
        // turn clipping off).
        using var model = ModelFolder.Load(BundledFolder, ComputeTarget.Cpu);
        var pipeline = new CascadePipeline(model);
        GenerationRequest Request(string sampler, int steps) => new()
        {
            Prompt = "grinning cat with smiling eyes, flat style", Seed = 3, Resolution = 32,
            Stages = [new StageOptions { Sampler = sampler, Steps = steps }],
        };

        using var ddim = pipeline.Generate(Request("ddim", 50));
        using var dpm = pipeline.Generate(Request("dpmpp-2m", 20));

        // Mean absolute difference in [-1, 1] units: 0.05 is 6 levels of 255. With clipping on it is
        // 0.83.
        using var scope = torch.NewDisposeScope();
        var difference = (ddim.Final.Images - dpm.Final.Images).abs().mean().item<float>();
        Assert.True(difference < 0.05, $"DDIM and DPM-Solver++ differ by {difference:F3} on average.");
    }
}
