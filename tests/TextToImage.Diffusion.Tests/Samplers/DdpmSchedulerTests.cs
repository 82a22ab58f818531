using TextToImage.Diffusion.Samplers;
using TorchSharp;
using static TextToImage.Diffusion.Tests.Samplers.DiffusersFixtures;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Tests.Samplers;

/// <summary>Ports of diffusers' tests/schedulers/test_scheduler_ddpm.py, plus the variance types.</summary>
public sealed class DdpmSchedulerTests
{
    [Fact]
    public void Full_loop_matches_diffusers()
    {
        // test_full_loop_no_noise (which does draw noise, from a generator seeded with 0).
        using var scope = NewDisposeScope();
        using var scheduler = new DdpmScheduler(DdpmConfig);
        using var noise = Seeded(0);
        var sample = Loop(scheduler, SampleDeter(), noise);
        Near(258.9606, SumAbs(sample), 1e-2, "sum");
        Near(0.3372, MeanAbs(sample), 1e-3, "mean");
    }

    [Fact]
    public void Full_loop_with_v_prediction_matches_diffusers()
    {
        using var scope = NewDisposeScope();
        using var scheduler = new DdpmScheduler(DdpmConfig with { PredictionType = "v_prediction" });
        using var noise = Seeded(0);
        var sample = Loop(scheduler, SampleDeter(), noise);
        Near(202.0296, SumAbs(sample), 1e-2, "sum");
        Near(0.2631, MeanAbs(sample), 1e-3, "mean");
    }

    [Fact]
    public void Full_loop_from_added_noise_matches_diffusers()
    {
        using var scope = NewDisposeScope();
        using var scheduler = new DdpmScheduler(DdpmConfig);
        using var noise = Seeded(0);
        var timesteps = scheduler.Timesteps.Skip(998).ToArray();
        Assert.Equal([1, 0], timesteps);
        var sample = scheduler.AddNoise(SampleDeter(), NoiseDeter(), torch.tensor(new long[] { timesteps[0] }));
        sample = Loop(scheduler, sample, noise, timesteps);
        Near(387.9466, SumAbs(sample), 1e-2, "sum");
        Near(0.5051, MeanAbs(sample), 1e-3, "mean");
    }

    [Theory]
    [InlineData(0, 0.0)]
    [InlineData(487, 0.00979)]
    [InlineData(999, 0.02)]
    public void Posterior_variance_matches_diffusers(int t, double expected)
    {
        using var scheduler = new DdpmScheduler(DdpmConfig);
        Near(expected, scheduler.Schedule.PosteriorVariance(t, t - 1), 1e-5, $"variance at {t}");
    }

    [Fact]
    public void Walks_the_whole_training_chain_until_timesteps_are_set()
    {
        using var scheduler = new DdpmScheduler(DdpmConfig with { NumTrainTimesteps = 100 });
        Assert.Equal(Enumerable.Range(0, 100).Reverse(), scheduler.Timesteps);
        scheduler.SetTimesteps(4);
        Assert.Equal([75, 50, 25, 0], scheduler.Timesteps);
    }

    [Fact]
    public void Custom_timesteps_step_between_consecutive_entries()
    {
        // test_custom_timesteps: the previous timestep of each entry is the next entry (−1 after the last).
        // Checked on the step itself: with a sample prediction and no noise, x_{t'} = c₀ x₀ + c_t x_t of
        // the posterior between t and the next listed t'.
        using var scope = NewDisposeScope();
        using var scheduler = new DdpmScheduler(DdpmConfig with { PredictionType = "sample", ClipSample = false });
        int[] timesteps = [100, 87, 50, 1, 0];
        scheduler.SetTimesteps(timesteps);
        Assert.Equal(timesteps, scheduler.Timesteps);

        using var zero = new ZeroNoise();
        var x0 = SampleDeter();
        var xt = NoiseDeter();
        for (var i = 0; i < timesteps.Length; i++)
        {
            var t = timesteps[i];
            var prevT = i + 1 < timesteps.Length ? timesteps[i + 1] : -1;
            var alphaProdT = scheduler.Schedule.AlphaCumprod(t);
            var alphaProdTPrev = prevT >= 0 ? scheduler.Schedule.AlphaCumprod(prevT) : 1.0;
            var betaT = 1 - alphaProdT / alphaProdTPrev;
            var expected = Math.Sqrt(alphaProdTPrev) * betaT / (1 - alphaProdT) * x0
                           + Math.Sqrt(1 - betaT) * (1 - alphaProdTPrev) / (1 - alphaProdT) * xt;
            var actual = scheduler.Step(x0, t, xt, zero).PrevSample;
            // float32 ᾱ: 1 − ᾱ_t/ᾱ_{t−1} near t = 0 keeps only a few digits, as in diffusers.
            var difference = MaxAbsDiff(expected, actual);
            Assert.True(difference < 1e-3, $"step from {t} to {prevT}: off by {difference}");
        }
    }

    [Fact]
    public void Custom_timesteps_are_validated()
    {
        using var scheduler = new DdpmScheduler(DdpmConfig);
        var increasing = Assert.Throws<ArgumentException>(() => scheduler.SetTimesteps([100, 87, 50, 51, 0]));
        Assert.Contains("descending", increasing.Message);
        var tooLarge = Assert.Throws<ArgumentException>(() => scheduler.SetTimesteps([1000]));
        Assert.Contains("0..999", tooLarge.Message);
        Assert.Throws<ArgumentException>(() => scheduler.SetTimesteps([5, -1]));
        Assert.Throws<ArgumentException>(() => scheduler.SetTimesteps(Array.Empty<int>()));
        Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.SetTimesteps(1001));
        Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.SetTimesteps(0));
    }

    [Fact]
    public void A_timestep_not_in_the_schedule_is_rejected()
    {
        using var scope = NewDisposeScope();
        using var scheduler = new DdpmScheduler(DdpmConfig);
        scheduler.SetTimesteps(10);
        var sample = SampleDeter();
        Assert.Throws<ArgumentException>(() => scheduler.Step(sample, 901, sample, new ZeroNoise()));
    }

    [Theory]
    [InlineData("fixed_small")]
    [InlineData("fixed_small_log")]
    [InlineData("fixed_large")]
    [InlineData("fixed_large_log")]
    public void Fixed_variances_scale_the_noise_by_their_standard_deviation(string varianceType)
    {
        using var scope = NewDisposeScope();
        using var scheduler = new DdpmScheduler(DdpmConfig with { VarianceType = varianceType });
        scheduler.SetTimesteps(10);
        const int t = 500, prevT = 400;
        var sample = SampleDeter();
        var output = NoiseDeter();

        var mean = scheduler.Step(output, t, sample, new ZeroNoise()).PrevSample;
        using var seeded = Seeded(3);
        var noisy = scheduler.Step(output, t, sample, seeded).PrevSample;
        using var reference = new Generator(3);
        var z = torch.randn(sample.shape, generator: reference);

        var posterior = scheduler.Schedule.PosteriorVariance(t, prevT);
        var betaT = 1 - scheduler.Schedule.AlphaCumprod(t) / scheduler.Schedule.AlphaCumprod(prevT);
        var std = varianceType.StartsWith("fixed_small") ? Math.Sqrt(posterior) : Math.Sqrt(betaT);
        Assert.True(MaxAbsDiff(mean + std * z, noisy) < 1e-5, varianceType);
    }

    [Fact]
    public void Learned_range_interpolates_the_log_variance_the_model_predicts()
    {
        using var scope = NewDisposeScope();
        using var scheduler = new DdpmScheduler(DdpmConfig with { VarianceType = "learned_range" });
        scheduler.SetTimesteps(10);
        const int t = 500, prevT = 400;
        var sample = SampleDeter();
        var epsilon = NoiseDeter();
        var v = torch.linspace(-1, 1, sample.numel()).reshape(sample.shape);
        var output = torch.cat([epsilon, v], 1);

        using var seeded = Seeded(5);
        var noisy = scheduler.Step(output, t, sample, seeded).PrevSample;
        var mean = scheduler.Step(output, t, sample, new ZeroNoise()).PrevSample;
        using var reference = new Generator(5);
        var z = torch.randn(sample.shape, generator: reference);

        // Nichol and Dhariwal eq. 15: log σ² = v' log β_t + (1 − v') log β̃_t with v' = (v + 1) / 2.
        var minLog = Math.Log(scheduler.Schedule.PosteriorVariance(t, prevT));
        var maxLog = Math.Log(1 - scheduler.Schedule.AlphaCumprod(t) / scheduler.Schedule.AlphaCumprod(prevT));
        var frac = (v + 1) / 2;
        var std = (0.5 * (frac * maxLog + (1 - frac) * minLog)).exp();
        Assert.True(MaxAbsDiff(mean + std * z, noisy) < 1e-5);

        // The mean uses only the first half: the same as a fixed-variance step on ε alone.
        using var fixedVariance = new DdpmScheduler(DdpmConfig);
        fixedVariance.SetTimesteps(10);
        Assert.True(MaxAbsDiff(fixedVariance.Step(epsilon, t, sample, new ZeroNoise()).PrevSample, mean) < 1e-6);
    }

    [Fact]
    public void Learned_variance_is_the_variance_itself()
    {
        using var scope = NewDisposeScope();
        using var scheduler = new DdpmScheduler(DdpmConfig with { VarianceType = "learned" });
        scheduler.SetTimesteps(10);
        var sample = SampleDeter();
        var variance = torch.full(sample.shape, 0.04f);
        var output = torch.cat([NoiseDeter(), variance], 1);
        using var seeded = Seeded(9);
        var noisy = scheduler.Step(output, 500, sample, seeded).PrevSample;
        var mean = scheduler.Step(output, 500, sample, new ZeroNoise()).PrevSample;
        using var reference = new Generator(9);
        var z = torch.randn(sample.shape, generator: reference);
        Assert.True(MaxAbsDiff(mean + 0.2 * z, noisy) < 1e-5);
    }

    [Fact]
    public void Learned_variance_without_a_variance_channel_is_an_error()
    {
        using var scope = NewDisposeScope();
        using var scheduler = new DdpmScheduler(DdpmConfig with { VarianceType = "learned_range" });
        var sample = SampleDeter();
        var error = Assert.Throws<ArgumentException>(() => scheduler.Step(sample, 999, sample, new ZeroNoise()));
        Assert.Contains("twice the sample's channels", error.Message);
    }

    [Fact]
    public void A_fixed_variance_scheduler_drops_a_predicted_variance()
    {
        using var scope = NewDisposeScope();
        using var scheduler = new DdpmScheduler(DdpmConfig);
        scheduler.SetTimesteps(10);
        var sample = SampleDeter();
        var epsilon = NoiseDeter();
        var withVariance = scheduler.Step(torch.cat([epsilon, torch.ones_like(epsilon)], 1), 500, sample, new ZeroNoise());
        var plain = scheduler.Step(epsilon, 500, sample, new ZeroNoise());
        Assert.Equal(0, MaxAbsDiff(plain.PrevSample, withVariance.PrevSample));
    }

    [Fact]
    public void No_noise_is_added_on_the_step_to_timestep_zero()
    {
        using var scope = NewDisposeScope();
        using var scheduler = new DdpmScheduler(DdpmConfig);
        var sample = SampleDeter();
        var output = NoiseDeter();
        using var first = Seeded(1);
        using var second = Seeded(2);
        var a = scheduler.Step(output, 0, sample, first).PrevSample;
        var b = scheduler.Step(output, 0, sample, second).PrevSample;
        Assert.Equal(0, MaxAbsDiff(a, b));
    }
}

/// <summary>A noise source of zeros: isolates a step's deterministic part.</summary>
internal sealed class ZeroNoise : NoiseSource
{
    protected override Tensor DrawCpuFloat32(long[] shape) => torch.zeros(shape, ScalarType.Float32);
}
