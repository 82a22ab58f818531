using TextToImage.Diffusion.Schedules;
using TorchSharp;
using static TextToImage.Diffusion.Tests.Samplers.DiffusersFixtures;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Tests.Samplers;

/// <summary>The forward process and training targets (under Samplers so the sampler filter runs them).</summary>
public sealed class NoiseScheduleTests
{
    static NoiseSchedule Linear => DdpmConfig.CreateNoiseSchedule();

    [Fact]
    public void Beta_schedules_have_the_configured_ends()
    {
        var linear = Linear;
        Assert.Equal(1000, linear.NumTrainTimesteps);
        Assert.Equal(1e-4f, linear.Betas[0]);
        Assert.Equal(0.02f, linear.Betas[^1]);

        var scaled = (DdpmConfig with { BetaSchedule = "scaled_linear", BetaStart = 0.00085, BetaEnd = 0.012 }).CreateNoiseSchedule();
        Assert.Equal(0.00085, scaled.Betas[0], 1e-9);
        Assert.Equal(0.012, scaled.Betas[^1], 1e-8);
        // Scaled-linear spaces √β evenly.
        Assert.Equal((Math.Sqrt(0.00085) + Math.Sqrt(0.012)) / 2, Math.Sqrt((scaled.Betas[499] + scaled.Betas[500]) / 2.0), 1e-5);

        var trained = (DdpmConfig with { NumTrainTimesteps = 3, TrainedBetas = [0.1, 0.2, 0.3] }).CreateNoiseSchedule();
        Assert.Equal([0.1f, 0.2f, 0.3f], trained.Betas);
        Assert.Equal(0.9 * 0.8 * 0.7, trained.AlphaCumprod(2), 1e-6);
    }

    [Fact]
    public void Cosine_schedule_follows_its_alpha_bar_and_is_capped()
    {
        var cosine = (DdpmConfig with { BetaSchedule = "squaredcos_cap_v2" }).CreateNoiseSchedule();
        static double AlphaBar(double t) => Math.Pow(Math.Cos((t + 0.008) / 1.008 * Math.PI / 2), 2);
        foreach (var t in new[] { 0, 100, 500, 900, 990 })
            Assert.Equal(AlphaBar((t + 1) / 1000.0) / AlphaBar(0), cosine.AlphaCumprod(t), 1e-5);
        Assert.Equal(0.999f, cosine.Betas[^1]);
        Assert.All(cosine.Betas, b => Assert.InRange(b, 0f, 0.999f));
    }

    [Fact]
    public void Alpha_cumprod_is_the_product_of_alphas()
    {
        var schedule = Linear;
        var product = 1.0;
        for (var t = 0; t < schedule.NumTrainTimesteps; t++)
        {
            product *= 1 - (double)schedule.Betas[t];
            Assert.Equal(product, schedule.AlphaCumprod(t), 1e-4);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => schedule.AlphaCumprod(1000));
        Assert.Throws<ArgumentOutOfRangeException>(() => schedule.AlphaCumprod(-1));
    }

    [Fact]
    public void Closed_form_matches_iterating_the_forward_chain()
    {
        // x_t = √α_t x_{t−1} + √β_t ε_t. Its mean follows the x₀ part, its variance s_t = α_t s_{t−1} + β_t
        // the noise part; q(x_t | x₀) in closed form must give √ᾱ_t x₀ and √(1 − ᾱ_t) ε.
        using var scope = NewDisposeScope();
        var schedule = Linear;
        var x0 = SampleDeter();
        var epsilon = NoiseDeter();
        var chainMean = x0.clone();
        var chainVariance = 0.0;
        for (var t = 0; t < 300; t++)
        {
            chainMean = MathF.Sqrt(schedule.Alphas[t]) * chainMean;
            chainVariance = schedule.Alphas[t] * chainVariance + schedule.Betas[t];
            if (t % 50 != 49) continue;
            var timesteps = tensor(new long[] { t });
            Assert.True(MaxAbsDiff(chainMean, schedule.AddNoise(x0, zeros_like(x0), timesteps)) < 1e-5, $"mean at {t}");
            var noisePart = schedule.AddNoise(zeros_like(x0), epsilon, timesteps);
            Assert.True(MaxAbsDiff(Math.Sqrt(chainVariance) * epsilon, noisePart) < 1e-5, $"variance at {t}");
        }
    }

    [Fact]
    public void Each_batch_row_gets_its_own_timestep()
    {
        using var scope = NewDisposeScope();
        var schedule = Linear;
        var x0 = SampleDeter();
        var noise = NoiseDeter();
        var timesteps = tensor(new long[] { 10, 500, 900, 999 });
        var noisy = schedule.AddNoise(x0, noise, timesteps);
        for (var i = 0; i < 4; i++)
        {
            var single = schedule.AddNoise(x0[i].unsqueeze(0), noise[i].unsqueeze(0), timesteps[i].unsqueeze(0));
            Assert.Equal(0, MaxAbsDiff(single[0], noisy[i]));
        }
        Assert.Throws<ArgumentException>(() => schedule.AddNoise(x0, noise, tensor(new long[] { 1, 2 })));
    }

    [Fact]
    public void Add_noise_keeps_the_sample_dtype()
    {
        using var scope = NewDisposeScope();
        var schedule = Linear;
        var timesteps = tensor(new[] { 400 }, ScalarType.Int32);
        var single = schedule.AddNoise(SampleDeter(), NoiseDeter(), timesteps);
        var half = schedule.AddNoise(SampleDeter().to_type(ScalarType.Float16), NoiseDeter().to_type(ScalarType.Float16), timesteps);
        Assert.Equal(ScalarType.Float16, half.dtype);
        Assert.True(MaxAbsDiff(single, half) < 2e-3);
    }

    [Fact]
    public void Velocity_target_inverts_to_x0_and_epsilon()
    {
        using var scope = NewDisposeScope();
        var schedule = Linear;
        var x0 = SampleDeter();
        var epsilon = NoiseDeter();
        var timesteps = tensor(new long[] { 3, 250, 700, 999 });
        var xt = schedule.AddNoise(x0, epsilon, timesteps);
        var v = schedule.VelocityTarget(x0, epsilon, timesteps);
        var shape = new long[] { 4, 1, 1, 1 };
        var sqrtAlphaProd = tensor(new[] { 3, 250, 700, 999 }.Select(t => (float)Math.Sqrt(schedule.AlphaCumprod(t))).ToArray(), shape);
        var sqrtOneMinus = tensor(new[] { 3, 250, 700, 999 }.Select(t => (float)Math.Sqrt(1 - schedule.AlphaCumprod(t))).ToArray(), shape);

        // x₀ = √ᾱ x_t − √(1−ᾱ) v and ε = √ᾱ v + √(1−ᾱ) x_t.
        Assert.True(MaxAbsDiff(x0, sqrtAlphaProd * xt - sqrtOneMinus * v) < 1e-5);
        Assert.True(MaxAbsDiff(epsilon, sqrtAlphaProd * v + sqrtOneMinus * xt) < 1e-5);

        Assert.Equal(0, MaxAbsDiff(v, schedule.TrainingTarget(PredictionType.VPrediction, x0, epsilon, timesteps)));
        Assert.Equal(0, MaxAbsDiff(epsilon, schedule.TrainingTarget(PredictionType.Epsilon, x0, epsilon, timesteps)));
        Assert.Equal(0, MaxAbsDiff(x0, schedule.TrainingTarget(PredictionType.Sample, x0, epsilon, timesteps)));
    }

    [Fact]
    public void Zero_terminal_snr_rescale_ends_at_pure_noise_and_keeps_the_start()
    {
        var plain = Linear;
        var rescaled = (DdpmConfig with { RescaleBetasZeroSnr = true }).CreateNoiseSchedule();
        Assert.Equal(0, rescaled.AlphaCumprod(999), 1e-9);
        Assert.Equal(plain.AlphaCumprod(0), rescaled.AlphaCumprod(0), 1e-6);
        // √ᾱ is an affine map of the original: shifted by √ᾱ_T and scaled to keep √ᾱ_0.
        var sqrt0 = Math.Sqrt(plain.AlphaCumprod(0));
        var sqrtT = Math.Sqrt(plain.AlphaCumprod(999));
        var expected = (Math.Sqrt(plain.AlphaCumprod(500)) - sqrtT) * sqrt0 / (sqrt0 - sqrtT);
        Assert.Equal(expected, Math.Sqrt(rescaled.AlphaCumprod(500)), 1e-5);
    }

    [Fact]
    public void Invalid_betas_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new NoiseSchedule(Array.Empty<float>()));
        Assert.Throws<ArgumentException>(() => new NoiseSchedule([0.1f, 0f]));
        Assert.Throws<ArgumentException>(() => new NoiseSchedule([0.1f, float.NaN]));
    }
}
