using TextToImage.Diffusion.Schedules;
using TorchSharp;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Samplers;

/// <summary>
/// Ancestral sampling of Ho et al. 2020: x_{t−1} ~ q(x_{t−1} | x_t, x₀) with x₀ predicted by
/// the network, over any descending subset of the training timesteps (the posterior is taken
/// between consecutive visited timesteps, as diffusers does). Until <see cref="SchedulerBase.SetTimesteps(int)"/>
/// it walks the whole training chain.
/// </summary>
public sealed class DdpmScheduler : SchedulerBase
{
    enum VarianceKind { FixedSmall, FixedSmallLog, FixedLarge, FixedLargeLog, Learned, LearnedRange }

    readonly VarianceKind _varianceType;

    public DdpmScheduler(SchedulerConfig config) : base(config, TimestepSpacing.Leading, honoursClipSample: true)
    {
        _varianceType = (config.VarianceType ?? "fixed_small") switch
        {
            "fixed_small" => VarianceKind.FixedSmall,
            "fixed_small_log" => VarianceKind.FixedSmallLog,
            "fixed_large" => VarianceKind.FixedLarge,
            "fixed_large_log" => VarianceKind.FixedLargeLog,
            "learned" => VarianceKind.Learned,
            "learned_range" => VarianceKind.LearnedRange,
            var other => throw new ArgumentException(
                $"variance_type '{other}' is not supported; use fixed_small, fixed_small_log, fixed_large, fixed_large_log, learned or learned_range."),
        };
        UseTimesteps(Enumerable.Range(0, NumTrainTimesteps).Reverse().ToArray(), NumTrainTimesteps);
    }

    bool LearnsVariance => _varianceType is VarianceKind.Learned or VarianceKind.LearnedRange;

    private protected override (Tensor PrevSample, Tensor PredOriginalSample) StepCore(
        Tensor modelOutput, int timestep, Tensor sample, NoiseSource noise)
    {
        var (prediction, predictedVariance) = SplitVariance(modelOutput, sample);
        if (LearnsVariance && predictedVariance is null)
            throw new ArgumentException(
                $"variance_type {Config.VarianceType} needs the model output to carry a predicted variance (twice the sample's channels).",
                nameof(modelOutput));
        var prevTimestep = NextTimestep(timestep);

        // 1. ᾱ and β̄ = 1 − ᾱ at t and at the previous visited timestep; α_t, β_t between the two.
        var alphaProdT = AlphaProd(timestep);
        var alphaProdTPrev = prevTimestep >= 0 ? AlphaProd(prevTimestep) : 1f;
        var betaProdT = 1f - alphaProdT;
        var betaProdTPrev = 1f - alphaProdTPrev;
        var currentAlphaT = alphaProdT / alphaProdTPrev;
        var currentBetaT = 1f - currentAlphaT;

        // 2. Predicted x₀ (eq. 15), 3. clipped or thresholded.
        var predOriginalSample = LimitOriginal(PredictOriginal(prediction, sample, alphaProdT));

        // 4. Coefficients of x₀ and x_t in the posterior mean μ̃_t (eq. 7).
        var predOriginalSampleCoeff = MathF.Sqrt(alphaProdTPrev) * currentBetaT / betaProdT;
        var currentSampleCoeff = MathF.Sqrt(currentAlphaT) * betaProdTPrev / betaProdT;

        // 5. Posterior mean.
        var predPrevSample = predOriginalSampleCoeff * predOriginalSample + currentSampleCoeff * sample;

        // 6. Add noise with the posterior's standard deviation; none on the final step to x₀.
        if (timestep > 0)
        {
            // Posterior variance β̃_t (eq. 7), floored because its log is taken.
            var variance = MathF.Max(NoiseSchedule.PosteriorVariance(alphaProdT, alphaProdTPrev), 1e-20f);
            var varianceNoise = noise.RandnLike(prediction);
            predPrevSample = predPrevSample + ScaledNoise(varianceNoise, variance, currentBetaT, predictedVariance);
        }
        return (predPrevSample, predOriginalSample);
    }

    /// <summary>σ_t · z for the configured variance type.</summary>
    Tensor ScaledNoise(Tensor z, float posteriorVariance, float currentBetaT, Tensor? predictedVariance) => _varianceType switch
    {
        VarianceKind.FixedSmall => MathF.Sqrt(posteriorVariance) * z,
        // rl-diffuser's variant: the same σ, computed through the log.
        VarianceKind.FixedSmallLog => MathF.Exp(0.5f * MathF.Log(posteriorVariance)) * z,
        // GLIDE's "max" variance β_t. diffusers takes √(log β_t) for fixed_large_log, which is NaN;
        // a log variance of log β_t means σ = √β_t, the same as fixed_large.
        VarianceKind.FixedLarge or VarianceKind.FixedLargeLog => MathF.Sqrt(currentBetaT) * z,
        // The network's output is the variance itself.
        VarianceKind.Learned => predictedVariance!.sqrt() * z,
        // Nichol and Dhariwal 2021 eq. 15: the network interpolates log σ² between log β̃_t and log β_t.
        VarianceKind.LearnedRange => LearnedRangeStandardDeviation(posteriorVariance, currentBetaT, predictedVariance!) * z,
        _ => throw new InvalidOperationException($"Unknown variance type {_varianceType}."),
    };

    static Tensor LearnedRangeStandardDeviation(float posteriorVariance, float currentBetaT, Tensor predictedVariance)
    {
        var minLog = MathF.Log(posteriorVariance);
        var maxLog = MathF.Log(currentBetaT);
        var frac = (predictedVariance + 1) / 2;
        var logVariance = frac * maxLog + (1 - frac) * minLog;
        return (0.5 * logVariance).exp();
    }
}
