using TextToImage.Diffusion.Samplers;
using TorchSharp;
using static TextToImage.Diffusion.Tests.Samplers.DiffusersFixtures;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Tests.Samplers;

/// <summary>Ports of diffusers' tests/schedulers/test_scheduler_dpm_multi.py (dpmsolver++, orders 1 and 2).</summary>
public sealed class DpmSolverMultistepSchedulerTests
{
    static Tensor FullLoop(SchedulerConfig config, int steps = 10)
    {
        using var scheduler = new DpmSolverMultistepScheduler(config);
        scheduler.SetTimesteps(steps);
        return Loop(scheduler, SampleDeter());
    }

    static Tensor FullLoopCustomTimesteps(SchedulerConfig config)
    {
        using var grid = new DpmSolverMultistepScheduler(config);
        grid.SetTimesteps(10);
        using var scheduler = new DpmSolverMultistepScheduler(config);
        scheduler.SetTimesteps(grid.Timesteps.ToArray());
        return Loop(scheduler, SampleDeter());
    }

    [Fact]
    public void Full_loop_matches_diffusers()
    {
        using var scope = NewDisposeScope();
        Near(0.3301, MeanAbs(FullLoop(DpmConfig)), 1e-3, "mean");
    }

    [Fact]
    public void Full_loop_with_v_prediction_matches_diffusers()
    {
        using var scope = NewDisposeScope();
        Near(0.2251, MeanAbs(FullLoop(DpmConfig with { PredictionType = "v_prediction" })), 1e-3, "mean");
    }

    [Fact]
    public void Full_loop_with_karras_sigmas_and_v_prediction_matches_diffusers()
    {
        using var scope = NewDisposeScope();
        Near(0.2096, MeanAbs(FullLoop(DpmConfig with { PredictionType = "v_prediction", UseKarrasSigmas = true })), 1e-3, "mean");
    }

    [Fact]
    public void Karras_sigmas_are_a_rho_7_ramp_from_the_largest_to_the_smallest_training_sigma()
    {
        using var scheduler = new DpmSolverMultistepScheduler(DpmConfig with { UseKarrasSigmas = true });
        scheduler.SetTimesteps(10);
        // The ramp starts at σ_max (t = 999) and ends at σ_min (t = 0), strictly descending in between.
        Assert.Equal(999, scheduler.Timesteps[0]);
        Assert.Equal(0, scheduler.Timesteps[^1]);
        Assert.True(scheduler.Timesteps.Zip(scheduler.Timesteps.Skip(1)).All(p => p.First > p.Second));
        Assert.Throws<ArgumentException>(() => scheduler.SetTimesteps([999, 500, 0]));
    }

    [Fact]
    public void Full_loop_with_thresholding_matches_diffusers()
    {
        using var scope = NewDisposeScope();
        var config = DpmConfig with { Thresholding = true, DynamicThresholdingRatio = 0.87, SampleMaxValue = 0.5 };
        Near(1.1364, MeanAbs(FullLoop(config)), 1e-3, "mean");
    }

    [Fact]
    public void Full_loop_from_added_noise_matches_diffusers()
    {
        using var scope = NewDisposeScope();
        using var scheduler = new DpmSolverMultistepScheduler(DpmConfig);
        scheduler.SetTimesteps(10);
        var timesteps = scheduler.Timesteps.Skip(5).ToArray();
        var sample = scheduler.AddNoise(SampleDeter(), NoiseDeter(), torch.tensor(new long[] { timesteps[0] }));
        sample = Loop(scheduler, sample, timesteps: timesteps);
        Near(318.4111, SumAbs(sample), 1e-2, "sum");
        Near(0.4146, MeanAbs(sample), 1e-3, "mean");
    }

    [Fact]
    public void Config_saved_and_reloaded_gives_the_same_loop()
    {
        // test_switch: a scheduler rebuilt from its (saved) config still gives 0.3301.
        using var scope = NewDisposeScope();
        var path = Path.Combine(Path.GetTempPath(), $"dpm-{Guid.NewGuid():N}.json");
        try
        {
            DpmConfig.Save(path);
            Near(0.3301, MeanAbs(FullLoop(SchedulerConfig.Load(path))), 1e-3, "mean");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("epsilon", "sigma_min")]
    [InlineData("epsilon", "zero")]
    [InlineData("sample", "sigma_min")]
    [InlineData("sample", "zero")]
    [InlineData("v_prediction", "sigma_min")]
    [InlineData("v_prediction", "zero")]
    public void Custom_timesteps_equal_to_the_grid_give_the_same_loop(string predictionType, string finalSigmas)
    {
        using var scope = NewDisposeScope();
        var config = DpmConfig with { PredictionType = predictionType, FinalSigmasType = finalSigmas };
        Assert.True(SumAbs(FullLoop(config) - FullLoopCustomTimesteps(config)) < 1e-5);
    }

    [Theory]
    [InlineData(1, "midpoint")]
    [InlineData(2, "midpoint")]
    [InlineData(1, "heun")]
    [InlineData(2, "heun")]
    public void Solver_orders_and_types_give_finite_samples(int order, string solverType)
    {
        using var scope = NewDisposeScope();
        foreach (var prediction in new[] { "epsilon", "sample" })
        {
            var sample = FullLoop(DpmConfig with { SolverOrder = order, SolverType = solverType, PredictionType = prediction });
            Assert.False(sample.isnan().any().item<bool>(), $"order {order}, {solverType}, {prediction}");
        }
    }

    [Fact]
    public void Heun_and_midpoint_differ_only_in_the_second_order_term()
    {
        using var scope = NewDisposeScope();
        var midpoint = FullLoop(DpmConfig with { SolverType = "midpoint" });
        var heun = FullLoop(DpmConfig with { SolverType = "heun" });
        var firstOrder = FullLoop(DpmConfig with { SolverOrder = 1 });
        var difference = MaxAbsDiff(midpoint, heun);
        Assert.True(difference > 0 && difference < MaxAbsDiff(midpoint, firstOrder), $"heun vs midpoint: {difference}");
    }

    [Fact]
    public void First_order_is_ddim()
    {
        // DPM-Solver++(1) is DDIM (η = 0) written in λ: the same x_{t−1} from the same x₀.
        using var scope = NewDisposeScope();
        int[] timesteps = [900, 700, 500, 300, 100];
        using var dpm = new DpmSolverMultistepScheduler(DpmConfig with { SolverOrder = 1, FinalSigmasType = "zero" });
        using var ddim = new DdimScheduler(DdpmConfig with { ClipSample = false });
        dpm.SetTimesteps(timesteps);
        ddim.SetTimesteps(timesteps);
        var difference = MaxAbsDiff(Loop(dpm, SampleDeter()), Loop(ddim, SampleDeter()));
        Assert.True(difference < 1e-4, $"DPM-Solver++(1) vs DDIM: {difference}");
    }

    [Fact]
    public void Lower_order_final_uses_a_first_order_last_step_for_short_runs()
    {
        using var scope = NewDisposeScope();
        var withFinal = FullLoop(DpmConfig with { LowerOrderFinal = true });
        var without = FullLoop(DpmConfig);
        Assert.True(MaxAbsDiff(withFinal, without) > 1e-4);
        // From 15 steps on, lower_order_final has no effect.
        Assert.Equal(0, MaxAbsDiff(FullLoop(DpmConfig with { LowerOrderFinal = true }, 15), FullLoop(DpmConfig, 15)));
    }

    [Fact]
    public void Half_precision_input_gives_half_precision_output()
    {
        // test_fp16_support: thresholding (ratio 0) runs in float32 and casts back.
        using var scope = NewDisposeScope();
        using var scheduler = new DpmSolverMultistepScheduler(DpmConfig with { Thresholding = true, DynamicThresholdingRatio = 0 });
        scheduler.SetTimesteps(10);
        var sample = Loop(scheduler, SampleDeter().to_type(ScalarType.Float16));
        Assert.Equal(ScalarType.Float16, sample.dtype);
        Assert.False(sample.isnan().any().item<bool>());
    }

    [Fact]
    public void Duplicated_timesteps_keep_the_requested_count()
    {
        using var scheduler = new DpmSolverMultistepScheduler(DpmConfig);
        scheduler.SetTimesteps(1000);
        Assert.Equal(1000, scheduler.Timesteps.Count);
    }

    [Theory]
    [InlineData("linspace", new[] { 999, 899, 799, 699, 599, 500, 400, 300, 200, 100 })]
    [InlineData("leading", new[] { 900, 810, 720, 630, 540, 450, 360, 270, 180, 90 })]
    [InlineData("trailing", new[] { 999, 899, 799, 699, 599, 499, 399, 299, 199, 99 })]
    public void Timestep_spacings_match_diffusers(string spacing, int[] expected)
    {
        using var scheduler = new DpmSolverMultistepScheduler(DpmConfig with { TimestepSpacing = spacing });
        scheduler.SetTimesteps(10);
        Assert.Equal(expected, scheduler.Timesteps);
    }

    [Fact]
    public void Lambda_min_clipped_shortens_the_grid()
    {
        using var scheduler = new DpmSolverMultistepScheduler(DpmConfig with { BetaSchedule = "squaredcos_cap_v2", LambdaMinClipped = -5.1 });
        scheduler.SetTimesteps(10);
        // λ(t) = log √ᾱ − log √(1 − ᾱ) falls below −5.1 only for the last few cosine timesteps.
        var first = scheduler.Timesteps[0];
        Assert.True(first < 999 && first > 900, $"first timestep {first}");
        var lambda = 0.5 * Math.Log(scheduler.Schedule.AlphaCumprod(first) / (1 - scheduler.Schedule.AlphaCumprod(first)));
        Assert.True(lambda >= -5.1, $"λ({first}) = {lambda}");
    }

    [Fact]
    public void Steps_must_follow_the_grid()
    {
        using var scope = NewDisposeScope();
        using var scheduler = new DpmSolverMultistepScheduler(DpmConfig);
        scheduler.SetTimesteps(10);
        var sample = SampleDeter();
        scheduler.Step(sample, scheduler.Timesteps[0], sample);
        Assert.Throws<ArgumentException>(() => scheduler.Step(sample, scheduler.Timesteps[2], sample));
        using var fresh = new DpmSolverMultistepScheduler(DpmConfig);
        Assert.Throws<InvalidOperationException>(() => fresh.Step(sample, 999, sample));
        fresh.SetTimesteps(10);
        Assert.Throws<ArgumentException>(() => fresh.Step(sample, 123, sample));
    }

    [Fact]
    public void A_predicted_variance_is_dropped()
    {
        using var scope = NewDisposeScope();
        using var plain = new DpmSolverMultistepScheduler(DpmConfig);
        using var learned = new DpmSolverMultistepScheduler(DpmConfig with { VarianceType = "learned_range" });
        plain.SetTimesteps(10);
        learned.SetTimesteps(10);
        var a = SampleDeter();
        var b = SampleDeter();
        foreach (var t in plain.Timesteps)
        {
            var epsilon = Model(a, t);
            a = plain.Step(epsilon, t, a).PrevSample;
            b = learned.Step(torch.cat([Model(b, t), torch.ones_like(epsilon)], 1), t, b).PrevSample;
        }
        Assert.Equal(0, MaxAbsDiff(a, b));
    }

    [Fact]
    public void Unsupported_solver_settings_are_rejected_clearly()
    {
        Assert.Contains("dpmsolver++", Assert.Throws<ArgumentException>(() => new DpmSolverMultistepScheduler(DpmConfig with { AlgorithmType = "sde-dpmsolver++" })).Message);
        Assert.Contains("1 or 2", Assert.Throws<ArgumentException>(() => new DpmSolverMultistepScheduler(DpmConfig with { SolverOrder = 3 })).Message);
        Assert.Throws<ArgumentException>(() => new DpmSolverMultistepScheduler(DpmConfig with { SolverType = "euler" }));
        Assert.Throws<ArgumentException>(() => new DpmSolverMultistepScheduler(DpmConfig with { FinalSigmasType = "one" }));
        Assert.Contains("not implemented", Assert.Throws<ArgumentException>(() => new DpmSolverMultistepScheduler(DpmConfig with { UseLuLambdas = true })).Message);
    }
}
