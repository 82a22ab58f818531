using TextToImage.Diffusion.Schedules;
using TorchSharp;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Samplers;

/// <summary>
/// Multistep DPM-Solver++ (Lu et al. 2022, "DPM-Solver++", Algorithm 2) of order 1 or 2: an
/// exponential integrator of the diffusion ODE in the data-prediction form, where the order-2
/// step reuses the previous step's x₀ instead of a second network call. Works in
/// σ = √((1 − ᾱ)/ᾱ), with α_t = 1/√(σ² + 1), σ_t = σ α_t and log-SNR λ = log α_t − log σ_t.
/// A predicted variance in the model output is ignored.
/// </summary>
public sealed class DpmSolverMultistepScheduler : SchedulerBase
{
    enum SolverKind { Midpoint, Heun }

    readonly int _solverOrder;
    readonly SolverKind _solverType;
    readonly bool _finalSigmaZero;
    readonly float[] _trainSigmas;

    float[] _sigmas = [];
    int? _stepIndex;
    int _lowerOrderNums;
    // x₀ of the previous step (order 2). Owned here, outside every dispose scope.
    Tensor? _previousOriginal;

    public DpmSolverMultistepScheduler(SchedulerConfig config) : base(config, TimestepSpacing.Linspace, honoursClipSample: false)
    {
        // diffusers maps the algorithm and solver names of sibling schedulers onto these when switching.
        if (config.AlgorithmType is not ("dpmsolver++" or "deis"))
            throw new ArgumentException($"algorithm_type '{config.AlgorithmType}' is not supported; only dpmsolver++ is implemented.");
        if (config.SolverOrder is not (1 or 2))
            throw new ArgumentException($"solver_order {config.SolverOrder} is not supported; use 1 or 2.");
        _solverOrder = config.SolverOrder;
        _solverType = config.SolverType switch
        {
            "midpoint" or "logrho" or "bh1" or "bh2" => SolverKind.Midpoint,
            "heun" => SolverKind.Heun,
            var other => throw new ArgumentException($"solver_type '{other}' is not supported; use midpoint or heun."),
        };
        _finalSigmaZero = config.FinalSigmasType switch
        {
            "zero" => true,
            "sigma_min" => false,
            var other => throw new ArgumentException($"final_sigmas_type '{other}' is not supported; use zero or sigma_min."),
        };

        if (config.UseExponentialSigmas || config.UseBetaSigmas || config.UseLuLambdas || config.UseFlowSigmas)
            throw new ArgumentException(
                "use_exponential_sigmas, use_beta_sigmas, use_lu_lambdas and use_flow_sigmas are not implemented; of the σ spacings only use_karras_sigmas is.");

        var alphasCumprod = Schedule.AlphasCumprod.ToArray();
        // With a zero terminal SNR, σ_T would be infinite; diffusers keeps it finite this way.
        if (config.RescaleBetasZeroSnr) alphasCumprod[^1] = MathF.Pow(2, -24);
        _trainSigmas = alphasCumprod.Select(a => MathF.Sqrt((1f - a) / a)).ToArray();
    }

    private protected override int[] SpacedTimesteps(int numInferenceSteps) => Config.UseKarrasSigmas
        ? KarrasSigmas(numInferenceSteps).Select(KarrasTimestep).ToArray()
        : TimestepSpacings.DpmSolver(Spacing, NumTrainTimesteps, LastTimestep(), numInferenceSteps, Config.StepsOffset);

    /// <summary>
    /// Karras et al. 2022 eq. 5: σ_i = (σ_max^{1/ρ} + i/(N−1) · (σ_min^{1/ρ} − σ_max^{1/ρ}))^ρ, ρ = 7,
    /// which spends more steps at low noise than an even spacing of timesteps.
    /// </summary>
    double[] KarrasSigmas(int count)
    {
        const double rho = 7.0;
        var minInvRho = Math.Pow(_trainSigmas[0], 1 / rho);
        var maxInvRho = Math.Pow(_trainSigmas[^1], 1 / rho);
        return Numpy.Linspace(0, 1, count).Select(ramp => Math.Pow(maxInvRho + ramp * (minInvRho - maxInvRho), rho)).ToArray();
    }

    /// <summary>
    /// The (fractional) training timestep of a σ, interpolating log σ between its two neighbours,
    /// made integral as diffusers does: rounded, or truncated for the cosine schedule.
    /// </summary>
    int KarrasTimestep(double sigma)
    {
        var logSigma = Math.Log(Math.Max(sigma, 1e-10));
        var logSigmas = _trainSigmas.Select(s => (double)MathF.Log(s)).ToArray();
        // The last index whose log σ is at most ours (0 if none), leaving room for a neighbour above.
        var low = Math.Min(Math.Max(Array.FindLastIndex(logSigmas, l => logSigma - l >= 0), 0), logSigmas.Length - 2);
        var weight = Math.Clamp((logSigmas[low] - logSigma) / (logSigmas[low] - logSigmas[low + 1]), 0, 1);
        var t = (1 - weight) * low + weight * (low + 1);
        return (int)(Config.BetaSchedule == "squaredcos_cap_v2" ? Math.Truncate(t) : Numpy.Round(t));
    }

    /// <summary>The number of training timesteps whose λ is not below lambda_min_clipped.</summary>
    int LastTimestep()
    {
        if (Config.LambdaMinClipped is not { } lambdaMin) return NumTrainTimesteps;
        var clipped = Schedule.AlphasCumprod.Count(a => MathF.Log(MathF.Sqrt(a)) - MathF.Log(MathF.Sqrt(1f - a)) < lambdaMin);
        return NumTrainTimesteps - clipped;
    }

    private protected override void UseTimesteps(int[] timesteps, int? numInferenceSteps)
    {
        if (Config.UseKarrasSigmas && numInferenceSteps is null)
            throw new ArgumentException("Custom timesteps cannot be combined with use_karras_sigmas.");
        base.UseTimesteps(timesteps, numInferenceSteps);
        var sigmaLast = _finalSigmaZero ? 0f : _trainSigmas[0];
        // Karras steps run at their own σ; the timesteps only tell the network roughly where it is.
        IEnumerable<float> stepSigmas = Config.UseKarrasSigmas
            ? KarrasSigmas(numInferenceSteps!.Value).Select(s => (float)s)
            : timesteps.Select(t => _trainSigmas[t]);
        _sigmas = [.. stepSigmas, sigmaLast];
        _stepIndex = null;
        _lowerOrderNums = 0;
        ReplacePreviousOriginal(null);
    }

    private protected override (Tensor PrevSample, Tensor PredOriginalSample) StepCore(
        Tensor modelOutput, int timestep, Tensor sample, NoiseSource noise)
    {
        var stepIndex = _stepIndex ?? IndexForTimestep(timestep);
        if (stepIndex >= Timesteps.Count)
            throw new InvalidOperationException("All timesteps have been stepped; call SetTimesteps to start again.");
        if (Timesteps[stepIndex] != timestep)
            throw new ArgumentException($"Expected timestep {Timesteps[stepIndex]} (step {stepIndex}), got {timestep}.", nameof(timestep));

        var count = Timesteps.Count;
        var fewSteps = Config.LowerOrderFinal && count < 15;
        // Order 1 on the last step: σ = 0 has λ = ∞ and no second-order term, and few-step runs are steadier so.
        var lowerOrderFinal = stepIndex == count - 1 && (Config.EulerAtFinal || fewSteps || _finalSigmaZero);

        // 1. The network's output as a data prediction x₀, clipped or thresholded.
        var (prediction, _) = SplitVariance(modelOutput, sample);
        var predOriginalSample = ConvertModelOutput(prediction, sample, _sigmas[stepIndex]);

        // 2. The update, in float32 whatever the sample's precision.
        var sample32 = sample.to_type(ScalarType.Float32);
        var firstOrder = _solverOrder == 1 || _lowerOrderNums < 1 || lowerOrderFinal || _previousOriginal is null;
        var prevSample = firstOrder
            ? FirstOrderUpdate(predOriginalSample, sample32, stepIndex)
            : SecondOrderUpdate(predOriginalSample, _previousOriginal!, sample32, stepIndex);

        // 3. Remember x₀ for the next step's second-order term.
        if (_solverOrder > 1) ReplacePreviousOriginal(predOriginalSample);
        if (_lowerOrderNums < _solverOrder) _lowerOrderNums++;
        _stepIndex = stepIndex + 1;
        return (prevSample.to_type(prediction.dtype), predOriginalSample);
    }

    /// <summary>
    /// The index of the first step. A timestep listed twice resolves to its second occurrence, as
    /// in diffusers, so starting mid-schedule (image-to-image) does not skip a σ.
    /// </summary>
    int IndexForTimestep(int timestep)
    {
        var matches = Enumerable.Range(0, Timesteps.Count).Where(i => Timesteps[i] == timestep).Take(2).ToArray();
        if (matches.Length == 0)
            throw new ArgumentException($"Timestep {timestep} is not one of this scheduler's timesteps.", nameof(timestep));
        return matches[^1];
    }

    /// <summary>x₀ = (x_t − σ_t ε) / α_t, or α_t x_t − σ_t v, or the prediction itself.</summary>
    Tensor ConvertModelOutput(Tensor prediction, Tensor sample, float sigma)
    {
        var (alphaT, sigmaT) = AlphaSigma(sigma);
        var predOriginalSample = Prediction switch
        {
            PredictionType.Epsilon => (sample - sigmaT * prediction) / alphaT,
            PredictionType.VPrediction => alphaT * sample - sigmaT * prediction,
            _ => prediction.alias(),
        };
        return LimitOriginal(predOriginalSample);
    }

    /// <summary>DPM-Solver++(1), i.e. DDIM: x_t = (σ_t/σ_s) x_s − α_t (e^{−h} − 1) x₀, h = λ_t − λ_s.</summary>
    Tensor FirstOrderUpdate(Tensor predOriginalSample, Tensor sample, int stepIndex)
    {
        var (alphaT, sigmaT) = AlphaSigma(_sigmas[stepIndex + 1]);
        var (alphaS, sigmaS) = AlphaSigma(_sigmas[stepIndex]);
        var h = Lambda(alphaT, sigmaT) - Lambda(alphaS, sigmaS);
        return (sigmaT / sigmaS) * sample - (alphaT * (MathF.Exp(-h) - 1f)) * predOriginalSample.to_type(ScalarType.Float32);
    }

    /// <summary>
    /// Multistep DPM-Solver++(2M): D0 = x₀(s0), D1 = (x₀(s0) − x₀(s1)) / r0 with r0 = h0 / h, then
    /// the midpoint (½ D1) or Heun ((e^{−h} − 1)/h + 1) correction.
    /// </summary>
    Tensor SecondOrderUpdate(Tensor m0, Tensor m1, Tensor sample, int stepIndex)
    {
        var (alphaT, sigmaT) = AlphaSigma(_sigmas[stepIndex + 1]);
        var (alphaS0, sigmaS0) = AlphaSigma(_sigmas[stepIndex]);
        var (alphaS1, sigmaS1) = AlphaSigma(_sigmas[stepIndex - 1]);
        var lambdaT = Lambda(alphaT, sigmaT);
        var lambdaS0 = Lambda(alphaS0, sigmaS0);
        var lambdaS1 = Lambda(alphaS1, sigmaS1);

        var h = lambdaT - lambdaS0;
        var h0 = lambdaS0 - lambdaS1;
        var r0 = h0 / h;
        var d0 = m0.to_type(ScalarType.Float32);
        var d1 = (1f / r0) * (d0 - m1.to_type(ScalarType.Float32));

        var expMinusH = MathF.Exp(-h);
        var xT = (sigmaT / sigmaS0) * sample - (alphaT * (expMinusH - 1f)) * d0;
        return _solverType == SolverKind.Midpoint
            ? xT - (0.5f * (alphaT * (expMinusH - 1f))) * d1
            : xT + (alphaT * ((expMinusH - 1f) / h + 1f)) * d1;
    }

    static (float Alpha, float Sigma) AlphaSigma(float sigma)
    {
        var alpha = 1f / MathF.Sqrt(sigma * sigma + 1f);
        return (alpha, sigma * alpha);
    }

    static float Lambda(float alpha, float sigma) => MathF.Log(alpha) - MathF.Log(sigma);

    public override void KeepRows(long[] rows)
    {
        if (_previousOriginal is null) return;
        using var scope = NewDisposeScope();
        using var index = tensor(rows, device: _previousOriginal.device);
        ReplacePreviousOriginal(_previousOriginal.index_select(0, index));
    }

    void ReplacePreviousOriginal(Tensor? predOriginalSample)
    {
        _previousOriginal?.Dispose();
        // A copy of our own, detached so that the caller's per-step scope does not dispose it.
        _previousOriginal = predOriginalSample?.clone().DetachFromDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) ReplacePreviousOriginal(null);
    }
}
