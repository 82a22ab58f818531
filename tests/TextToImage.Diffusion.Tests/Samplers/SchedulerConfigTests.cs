using TextToImage.Diffusion.Samplers;
using static TextToImage.Diffusion.Tests.Samplers.DiffusersFixtures;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Tests.Samplers;

public sealed class SchedulerConfigTests
{
    // DeepFloyd IF stage I's scheduler/scheduler_config.json, as diffusers wrote it.
    const string DeepFloydIf = """
        {
          "_class_name": "DDPMScheduler",
          "_diffusers_version": "0.16.0.dev0",
          "beta_end": 0.02,
          "beta_schedule": "squaredcos_cap_v2",
          "beta_start": 0.0001,
          "clip_sample": true,
          "clip_sample_range": 1.0,
          "dynamic_thresholding_ratio": 0.95,
          "num_train_timesteps": 1000,
          "prediction_type": "epsilon",
          "sample_max_value": 1.5,
          "thresholding": true,
          "trained_betas": null,
          "variance_type": "learned_range"
        }
        """;

    [Fact]
    public void A_diffusers_config_loads_with_its_values()
    {
        var config = SchedulerConfig.Parse(DeepFloydIf);
        Assert.Equal("DDPMScheduler", config.ClassName);
        Assert.Equal("squaredcos_cap_v2", config.BetaSchedule);
        Assert.Equal("learned_range", config.VarianceType);
        Assert.True(config.Thresholding);
        Assert.Equal(0.95, config.DynamicThresholdingRatio);
        Assert.Equal(1.5, config.SampleMaxValue);
        Assert.True(config.ClipSample);
        Assert.Equal(1.0, config.ClipSampleRange);
        Assert.Null(config.TrainedBetas);
        // Keys the file leaves out take diffusers' defaults.
        Assert.Equal(0, config.StepsOffset);
        Assert.True(config.SetAlphaToOne);
        Assert.Equal(2, config.SolverOrder);
        Assert.Null(config.TimestepSpacing);
    }

    [Fact]
    public void Every_sampler_builds_from_the_deepfloyd_config_and_steps_a_learned_variance_output()
    {
        using var scope = NewDisposeScope();
        var config = SchedulerConfig.Parse(DeepFloydIf);
        var sample = SampleDeter();
        var output = cat([NoiseDeter(), zeros_like(sample)], 1);
        foreach (var kind in Enum.GetValues<SamplerKind>())
        {
            using var scheduler = SchedulerFactory.Create(kind, config);
            scheduler.SetTimesteps(10);
            using var noise = Seeded(0);
            var step = scheduler.Step(output, scheduler.Timesteps[0], sample, noise);
            Assert.Equal(sample.shape, step.PrevSample.shape);
            // Dynamic thresholding (ratio 0.95, max 1.5) keeps x₀ within ±1.
            Assert.True(step.PredOriginalSample.abs().max().item<float>() <= 1f + 1e-6f, kind.ToString());
        }
    }

    [Fact]
    public void Unknown_keys_are_ignored_and_python_infinity_is_read()
    {
        var config = SchedulerConfig.Parse("""
            { "num_train_timesteps": 500, "skip_prk_steps": true, "clip_sample": false, "lambda_min_clipped": -Infinity, "nested": {"a": [1, 2]} }
            """);
        Assert.Equal(500, config.NumTrainTimesteps);
        Assert.False(config.ClipSample);
        Assert.Equal(double.NegativeInfinity, config.LambdaMinClipped);
    }

    [Fact]
    public void Invalid_json_is_reported_with_the_path()
    {
        var path = Path.Combine(Path.GetTempPath(), $"bad-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, "{ \"num_train_timesteps\": \"many\" }");
        try
        {
            var error = Assert.Throws<InvalidDataException>(() => SchedulerConfig.Load(path));
            Assert.Contains(path, error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Saved_json_uses_diffusers_keys_and_round_trips()
    {
        var config = SchedulerConfig.Parse(DeepFloydIf) with { LambdaMinClipped = double.NegativeInfinity, TrainedBetas = null };
        var json = config.ToJson();
        Assert.Contains("\"dynamic_thresholding_ratio\": 0.95", json);
        Assert.Contains("\"variance_type\": \"learned_range\"", json);
        Assert.Contains("\"lambda_min_clipped\": -Infinity", json);
        Assert.DoesNotContain("\"timestep_spacing\"", json); // unset stays unset, so each sampler keeps its default
        Assert.Equal(config, SchedulerConfig.Parse(json));
    }

    [Theory]
    [InlineData(SamplerKind.Ddpm)]
    [InlineData(SamplerKind.Ddim)]
    [InlineData(SamplerKind.DpmSolverPlusPlus2M)]
    public void A_config_saved_and_reloaded_gives_the_same_step_output(SamplerKind kind)
    {
        using var scope = NewDisposeScope();
        var config = DdpmConfig with
        {
            BetaSchedule = "scaled_linear", BetaStart = 0.00085, BetaEnd = 0.012, PredictionType = "v_prediction",
            TimestepSpacing = "trailing", Thresholding = true, DynamicThresholdingRatio = 0.9, SampleMaxValue = 1.2,
        };
        var path = Path.Combine(Path.GetTempPath(), $"scheduler-{Guid.NewGuid():N}.json");
        try
        {
            config.Save(path);
            var reloaded = SchedulerConfig.Load(path);
            Assert.Equal(config, reloaded);

            using var original = SchedulerFactory.Create(kind, config, eta: 0.3);
            using var restored = SchedulerFactory.Create(kind, reloaded, eta: 0.3);
            original.SetTimesteps(7);
            restored.SetTimesteps(7);
            Assert.Equal(original.Timesteps, restored.Timesteps);
            var a = SampleDeter();
            var b = SampleDeter();
            using var noiseA = Seeded(4);
            using var noiseB = Seeded(4);
            foreach (var t in original.Timesteps.Take(3))
            {
                a = original.Step(Model(a, t), t, a, noiseA).PrevSample;
                b = restored.Step(Model(b, t), t, b, noiseB).PrevSample;
            }
            Assert.Equal(0, MaxAbsDiff(a, b));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Unsupported_values_are_rejected_with_the_valid_ones()
    {
        Assert.Contains("squaredcos_cap_v2", Assert.Throws<ArgumentException>(() => new DdpmScheduler(DdpmConfig with { BetaSchedule = "sigmoid" })).Message);
        Assert.Contains("v_prediction", Assert.Throws<ArgumentException>(() => new DdimScheduler(DdpmConfig with { PredictionType = "flow" })).Message);
        Assert.Contains("trailing", Assert.Throws<ArgumentException>(() => new DdimScheduler(DdpmConfig with { TimestepSpacing = "karras" })).Message);
        Assert.Contains("learned_range", Assert.Throws<ArgumentException>(() => new DdpmScheduler(DdpmConfig with { VarianceType = "other" })).Message);
        Assert.Throws<ArgumentException>(() => new DdpmScheduler(DdpmConfig with { TrainedBetas = [0.1, 0.2] }));
    }
}
