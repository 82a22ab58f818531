using TextToImage.Diffusion.Samplers;
using TorchSharp;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Tests.Samplers;

/// <summary>
/// The deterministic inputs of diffusers' tests/schedulers/test_schedulers.py, so that the
/// expected numbers of its full-loop tests apply here unchanged.
/// </summary>
internal static class DiffusersFixtures
{
    const int Batch = 4, Channels = 3, Height = 8, Width = 8, Elements = Batch * Channels * Height * Width;

    /// <summary>dummy_sample_deter: arange(384) laid out as [C, H, W, B] / 384, permuted to [B, C, H, W].</summary>
    public static Tensor SampleDeter() =>
        (torch.arange(Elements, ScalarType.Float32) / (float)Elements).reshape(Channels, Height, Width, Batch).permute(3, 0, 1, 2);

    /// <summary>dummy_noise_deter: the same, counting down.</summary>
    public static Tensor NoiseDeter() =>
        (torch.arange(Elements, ScalarType.Float32).flip(-1) / (float)Elements).reshape(Channels, Height, Width, Batch).permute(3, 0, 1, 2);

    /// <summary>dummy_model: sample · t / (t + 1).</summary>
    public static Tensor Model(Tensor sample, int t) => sample * (float)t / (float)(t + 1);

    /// <summary>The config of diffusers' DDPM and DDIM tests, with overrides.</summary>
    public static SchedulerConfig DdpmConfig => new()
    {
        NumTrainTimesteps = 1000,
        BetaStart = 0.0001,
        BetaEnd = 0.02,
        BetaSchedule = "linear",
        VarianceType = "fixed_small",
        ClipSample = true,
    };

    /// <summary>The config of diffusers' DPM-Solver multistep tests.</summary>
    public static SchedulerConfig DpmConfig => new()
    {
        NumTrainTimesteps = 1000,
        BetaStart = 0.0001,
        BetaEnd = 0.02,
        BetaSchedule = "linear",
        SolverOrder = 2,
        PredictionType = "epsilon",
        Thresholding = false,
        SampleMaxValue = 1.0,
        AlgorithmType = "dpmsolver++",
        SolverType = "midpoint",
        LowerOrderFinal = false,
        EulerAtFinal = false,
        FinalSigmasType = "sigma_min",
    };

    /// <summary>Runs every timestep of the scheduler from <paramref name="sample"/> with the dummy model.</summary>
    public static Tensor Loop(IScheduler scheduler, Tensor sample, NoiseSource? noise = null, IReadOnlyList<int>? timesteps = null)
    {
        foreach (var t in timesteps ?? scheduler.Timesteps)
        {
            var next = scheduler.Step(Model(sample, t), t, sample, noise).PrevSample;
            sample = next;
        }
        return sample;
    }

    public static double SumAbs(Tensor x) => x.abs().sum().to_type(ScalarType.Float64).item<double>();
    public static double MeanAbs(Tensor x) => x.abs().to_type(ScalarType.Float32).mean().to_type(ScalarType.Float64).item<double>();
    public static double MaxAbsDiff(Tensor a, Tensor b) =>
        (a.to_type(ScalarType.Float64) - b.to_type(ScalarType.Float64)).abs().max().item<double>();

    /// <summary>Asserts |actual − expected| &lt; tolerance, the form of diffusers' assertions.</summary>
    public static void Near(double expected, double actual, double tolerance, string what)
    {
        Assert.True(Math.Abs(actual - expected) < tolerance, $"{what}: expected {expected} ± {tolerance}, got {actual}.");
    }

    /// <summary>A fresh CPU generator seeded like torch.manual_seed(seed), without touching the global one.</summary>
    public static GeneratorNoise Seeded(ulong seed) => new(new Generator(seed));
}
