using TextToImage.Diffusion.Samplers;
using TorchSharp;
using static TextToImage.Diffusion.Tests.Samplers.DiffusersFixtures;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Tests.Samplers;

/// <summary>Ports of diffusers' tests/schedulers/test_scheduler_ddim.py, plus η and custom timesteps.</summary>
public sealed class DdimSchedulerTests
{
    static Tensor FullLoop(SchedulerConfig config)
    {
        using var scheduler = new DdimScheduler(config);
        scheduler.SetTimesteps(10);
        return Loop(scheduler, SampleDeter());
    }

    [Theory]
    [InlineData("epsilon", 172.0067, 0.223967)]
    [InlineData("v_prediction", 52.5302, 0.0684)]
    public void Full_loop_matches_diffusers(string predictionType, double sum, double mean)
    {
        using var scope = NewDisposeScope();
        var sample = FullLoop(DdpmConfig with { PredictionType = predictionType });
        Near(sum, SumAbs(sample), 1e-2, "sum");
        Near(mean, MeanAbs(sample), 1e-3, "mean");
    }

    [Theory]
    [InlineData(true, 149.8295, 0.1951)]
    [InlineData(false, 149.0784, 0.1941)]
    public void Set_alpha_to_one_matches_diffusers(bool setAlphaToOne, double sum, double mean)
    {
        // beta_start 0.01, so that ᾱ₀ = 0.99 differs visibly from 1.
        using var scope = NewDisposeScope();
        var sample = FullLoop(DdpmConfig with { SetAlphaToOne = setAlphaToOne, BetaStart = 0.01 });
        Near(sum, SumAbs(sample), 1e-2, "sum");
        Near(mean, MeanAbs(sample), 1e-3, "mean");
    }

    [Fact]
    public void Full_loop_from_added_noise_matches_diffusers()
    {
        using var scope = NewDisposeScope();
        using var scheduler = new DdimScheduler(DdpmConfig);
        scheduler.SetTimesteps(10);
        var timesteps = scheduler.Timesteps.Skip(8).ToArray();
        var sample = scheduler.AddNoise(SampleDeter(), NoiseDeter(), torch.tensor(new long[] { timesteps[0] }));
        sample = Loop(scheduler, sample, timesteps: timesteps);
        Near(354.5418, SumAbs(sample), 1e-2, "sum");
        Near(0.4616, MeanAbs(sample), 1e-3, "mean");
    }

    [Theory]
    [InlineData(420, 400, 0.14771)]
    [InlineData(980, 960, 0.32460)]
    [InlineData(0, 0, 0.0)]
    [InlineData(487, 486, 0.00979)]
    [InlineData(999, 998, 0.02)]
    public void Variance_between_timesteps_matches_diffusers(int t, int prevT, double expected)
    {
        using var scheduler = new DdimScheduler(DdpmConfig);
        Near(expected, scheduler.Schedule.PosteriorVariance(t, prevT), 1e-5, $"variance {t} -> {prevT}");
    }

    [Fact]
    public void Steps_offset_shifts_leading_timesteps()
    {
        using var scheduler = new DdimScheduler(DdpmConfig with { StepsOffset = 1 });
        scheduler.SetTimesteps(5);
        Assert.Equal([801, 601, 401, 201, 1], scheduler.Timesteps);
    }

    [Theory]
    [InlineData("leading", 10, new[] { 900, 800, 700, 600, 500, 400, 300, 200, 100, 0 })]
    [InlineData("trailing", 10, new[] { 999, 899, 799, 699, 599, 499, 399, 299, 199, 99 })]
    [InlineData("linspace", 10, new[] { 999, 888, 777, 666, 555, 444, 333, 222, 111, 0 })]
    [InlineData("leading", 3, new[] { 666, 333, 0 })]
    [InlineData("trailing", 3, new[] { 999, 666, 332 })]
    [InlineData("linspace", 4, new[] { 999, 666, 333, 0 })]
    [InlineData("linspace", 1, new[] { 0 })]
    public void Timestep_spacings_match_numpy(string spacing, int steps, int[] expected)
    {
        using var ddim = new DdimScheduler(DdpmConfig with { TimestepSpacing = spacing });
        ddim.SetTimesteps(steps);
        Assert.Equal(expected, ddim.Timesteps);
        using var ddpm = new DdpmScheduler(DdpmConfig with { TimestepSpacing = spacing });
        ddpm.SetTimesteps(steps);
        Assert.Equal(expected, ddpm.Timesteps);
    }

    [Fact]
    public void Eta_one_is_the_ddpm_posterior_step()
    {
        // With σ_t(η = 1)² = β̃_t, eq. 12 reduces to DDPM's posterior mean plus the same noise
        // (when x₀ is not clipped, since DDIM derives its direction from the unclipped ε).
        using var scope = NewDisposeScope();
        var config = DdpmConfig with { ClipSample = false };
        using var ddim = new DdimScheduler(config, eta: 1.0);
        using var ddpm = new DdpmScheduler(config);
        ddim.SetTimesteps(10);
        ddpm.SetTimesteps(10);
        var sample = SampleDeter();
        var output = NoiseDeter();
        foreach (var t in new[] { 900, 500, 100 })
        {
            using var ddimNoise = Seeded(11);
            using var ddpmNoise = Seeded(11);
            var a = ddim.Step(output, t, sample, ddimNoise).PrevSample;
            var b = ddpm.Step(output, t, sample, ddpmNoise).PrevSample;
            Assert.True(MaxAbsDiff(a, b) < 1e-5, $"t = {t}: {MaxAbsDiff(a, b)}");
        }
    }

    [Fact]
    public void Eta_zero_draws_no_noise_and_eta_above_zero_does()
    {
        using var scope = NewDisposeScope();
        using var deterministic = new DdimScheduler(DdpmConfig);
        using var stochastic = new DdimScheduler(DdpmConfig, eta: 0.5);
        deterministic.SetTimesteps(10);
        stochastic.SetTimesteps(10);
        var sample = SampleDeter();
        using var first = Seeded(1);
        using var second = Seeded(2);
        Assert.Equal(0, MaxAbsDiff(deterministic.Step(sample, 500, sample, first).PrevSample,
                                   deterministic.Step(sample, 500, sample, second).PrevSample));
        Assert.True(MaxAbsDiff(stochastic.Step(sample, 500, sample, first).PrevSample,
                               stochastic.Step(sample, 500, sample, second).PrevSample) > 1e-2);
    }

    [Fact]
    public void Custom_timesteps_step_to_the_next_listed_timestep()
    {
        // A leading grid given as custom timesteps gives the same loop as the grid itself.
        using var scope = NewDisposeScope();
        using var grid = new DdimScheduler(DdpmConfig);
        grid.SetTimesteps(10);
        using var custom = new DdimScheduler(DdpmConfig);
        custom.SetTimesteps(grid.Timesteps.ToArray());
        Assert.Equal(0, MaxAbsDiff(Loop(grid, SampleDeter()), Loop(custom, SampleDeter())));

        // And an irregular list is accepted and walked to x₀.
        custom.SetTimesteps([999, 700, 123, 5]);
        var x0 = Loop(custom, SampleDeter());
        Assert.False(x0.isnan().any().item<bool>());
    }

    [Fact]
    public void Step_before_set_timesteps_is_an_error()
    {
        using var scope = NewDisposeScope();
        using var scheduler = new DdimScheduler(DdpmConfig);
        var sample = SampleDeter();
        Assert.Throws<InvalidOperationException>(() => scheduler.Step(sample, 999, sample));
    }

    [Fact]
    public void A_predicted_variance_is_dropped()
    {
        using var scope = NewDisposeScope();
        using var scheduler = new DdimScheduler(DdpmConfig);
        scheduler.SetTimesteps(10);
        var sample = SampleDeter();
        var epsilon = NoiseDeter();
        var plain = scheduler.Step(epsilon, 500, sample).PrevSample;
        var withVariance = scheduler.Step(torch.cat([epsilon, torch.ones_like(epsilon)], 1), 500, sample).PrevSample;
        Assert.Equal(0, MaxAbsDiff(plain, withVariance));
    }

    [Fact]
    public void Half_precision_stays_half_and_close_to_float32()
    {
        using var scope = NewDisposeScope();
        using var scheduler = new DdimScheduler(DdpmConfig with { Thresholding = true, SampleMaxValue = 1.5 });
        scheduler.SetTimesteps(10);
        var sample = SampleDeter();
        var output = NoiseDeter();
        var single = scheduler.Step(output, 500, sample).PrevSample;
        var half = scheduler.Step(output.to_type(ScalarType.Float16), 500, sample.to_type(ScalarType.Float16)).PrevSample;
        Assert.Equal(ScalarType.Float16, half.dtype);
        Assert.True(MaxAbsDiff(single, half) < 5e-3);
    }
}
