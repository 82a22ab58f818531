using TextToImage.Diffusion.Schedules;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Samplers;

/// <summary>
/// DDIM (Song et al. 2021): the non-Markovian reverse step of eq. 12, deterministic at
/// <see cref="Eta"/> = 0 and as noisy as DDPM's posterior at η = 1. A predicted variance in the
/// model output is ignored.
/// </summary>
public sealed class DdimScheduler : SchedulerBase
{
    readonly float _finalAlphaCumprod;
    int? _stepRatio;

    /// <param name="eta">η of eq. 16: the weight of the noise added each step, 0 (deterministic) to 1.</param>
    public DdimScheduler(SchedulerConfig config, double eta = 0) : base(config, TimestepSpacing.Leading, honoursClipSample: true)
    {
        if (!(eta >= 0) || double.IsInfinity(eta))
            throw new ArgumentOutOfRangeException(nameof(eta), eta, "eta must be a finite number ≥ 0.");
        Eta = eta;
        // The last step lands on x₀, which has no ᾱ of its own: use 1 (pure signal) or ᾱ₀.
        _finalAlphaCumprod = config.SetAlphaToOne ? 1f : AlphaProd(0);
    }

    public double Eta { get; }

    private protected override void UseTimesteps(int[] timesteps, int? numInferenceSteps)
    {
        base.UseTimesteps(timesteps, numInferenceSteps);
        // diffusers steps back by T // N whatever the spacing; custom timesteps step to the next one listed.
        _stepRatio = numInferenceSteps is { } n ? NumTrainTimesteps / n : null;
    }

    private protected override (Tensor PrevSample, Tensor PredOriginalSample) StepCore(
        Tensor modelOutput, int timestep, Tensor sample, NoiseSource noise)
    {
        var (prediction, _) = SplitVariance(modelOutput, sample);

        // 1. The previous timestep (t − 1 in the paper's notation).
        var prevTimestep = _stepRatio is { } ratio ? timestep - ratio : NextTimestep(timestep);

        // 2. ᾱ_t, ᾱ_{t−1}, β̄_t.
        var alphaProdT = AlphaProd(timestep);
        var alphaProdTPrev = prevTimestep >= 0 ? AlphaProd(prevTimestep) : _finalAlphaCumprod;
        var betaProdT = 1f - alphaProdT;

        // 3. Predicted x₀ ("f_θ(x_t)") and ε ("ε_θ(x_t)") of eq. 12, from the unclipped prediction.
        var predOriginalSample = PredictOriginal(prediction, sample, alphaProdT);
        var predEpsilon = Prediction switch
        {
            PredictionType.Epsilon => prediction,
            PredictionType.Sample => (sample - MathF.Sqrt(alphaProdT) * predOriginalSample) / MathF.Sqrt(betaProdT),
            _ => MathF.Sqrt(alphaProdT) * prediction + MathF.Sqrt(betaProdT) * sample,
        };

        // 4. Clip or threshold x₀.
        predOriginalSample = LimitOriginal(predOriginalSample);

        // 5. σ_t(η) of eq. 16: η · √((1 − ᾱ_{t−1}) / (1 − ᾱ_t)) · √(1 − ᾱ_t / ᾱ_{t−1}).
        var variance = NoiseSchedule.PosteriorVariance(alphaProdT, alphaProdTPrev);
        var stdDevT = (float)Eta * MathF.Sqrt(variance);

        // 6. "Direction pointing to x_t"; floored at 0 against rounding when η = 1 makes it vanish.
        var predSampleDirection = MathF.Sqrt(MathF.Max(1f - alphaProdTPrev - stdDevT * stdDevT, 0f)) * predEpsilon;

        // 7. x_{t−1} without the random term, 8. plus σ_t z.
        var prevSample = MathF.Sqrt(alphaProdTPrev) * predOriginalSample + predSampleDirection;
        if (Eta > 0) prevSample = prevSample + stdDevT * noise.RandnLike(prediction);
        return (prevSample, predOriginalSample);
    }
}
