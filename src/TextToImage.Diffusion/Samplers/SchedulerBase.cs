using TextToImage.Diffusion.Schedules;
using TorchSharp;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Samplers;

/// <summary>
/// What the three samplers share: the noise schedule, the timestep grid and its validation,
/// reading x₀ off the network's output, limiting x₀, and the dispose-scope discipline of a step.
/// </summary>
public abstract class SchedulerBase : IScheduler
{
    readonly OriginalSampleLimits _limits;
    int[] _timesteps = [];

    private protected SchedulerBase(SchedulerConfig config, TimestepSpacing defaultSpacing, bool honoursClipSample)
    {
        Config = config;
        Schedule = config.CreateNoiseSchedule();
        Prediction = PredictionTypes.Parse(config.PredictionType);
        Spacing = TimestepSpacings.Parse(config.TimestepSpacing, defaultSpacing);
        _limits = new OriginalSampleLimits(config, honoursClipSample);
    }

    public SchedulerConfig Config { get; }
    public NoiseSchedule Schedule { get; }
    public IReadOnlyList<int> Timesteps => _timesteps;
    public PredictionType Prediction { get; }
    internal TimestepSpacing Spacing { get; }
    protected int NumTrainTimesteps => Schedule.NumTrainTimesteps;

    public void SetTimesteps(int numInferenceSteps)
    {
        if (numInferenceSteps < 1 || numInferenceSteps > NumTrainTimesteps)
            throw new ArgumentOutOfRangeException(nameof(numInferenceSteps), numInferenceSteps,
                $"The number of inference steps must lie between 1 and num_train_timesteps ({NumTrainTimesteps}).");
        var timesteps = SpacedTimesteps(numInferenceSteps);
        if (timesteps.Length == 0 || timesteps.Any(t => t < 0 || t >= NumTrainTimesteps))
            throw new ArgumentException(
                $"{numInferenceSteps} steps with timestep_spacing {Spacing} and steps_offset {Config.StepsOffset} give timesteps " +
                $"outside 0..{NumTrainTimesteps - 1}: [{string.Join(", ", timesteps)}].", nameof(numInferenceSteps));
        UseTimesteps(timesteps, numInferenceSteps);
    }

    public void SetTimesteps(IReadOnlyList<int> customTimesteps)
    {
        if (customTimesteps.Count == 0)
            throw new ArgumentException("Custom timesteps must not be empty.", nameof(customTimesteps));
        for (var i = 0; i < customTimesteps.Count; i++)
        {
            var t = customTimesteps[i];
            if (t < 0 || t >= NumTrainTimesteps)
                throw new ArgumentException(
                    $"Custom timestep {t} (at index {i}) is outside the training range 0..{NumTrainTimesteps - 1}.", nameof(customTimesteps));
            if (i > 0 && t >= customTimesteps[i - 1])
                throw new ArgumentException(
                    $"Custom timesteps must be strictly descending, but {t} (at index {i}) follows {customTimesteps[i - 1]}.", nameof(customTimesteps));
        }
        UseTimesteps(customTimesteps.ToArray(), numInferenceSteps: null);
    }

    public SchedulerStepOutput Step(Tensor modelOutput, int timestep, Tensor sample, NoiseSource? noise = null)
    {
        if (_timesteps.Length == 0)
            throw new InvalidOperationException("Call SetTimesteps before Step.");
        if (sample.dim() < 2 || modelOutput.dim() != sample.dim() || modelOutput.shape[0] != sample.shape[0]
            || (modelOutput.shape[1] != sample.shape[1] && modelOutput.shape[1] != 2 * sample.shape[1])
            || !modelOutput.shape.Skip(2).SequenceEqual(sample.shape.Skip(2)))
            throw new ArgumentException(
                $"The model output [{string.Join(", ", modelOutput.shape)}] must be shaped like the sample [{string.Join(", ", sample.shape)}], " +
                "or have twice its channels (a predicted variance in the second half).", nameof(modelOutput));

        // Everything the step creates dies with this scope except the two results, which go to the caller's scope.
        using var scope = NewDisposeScope();
        var (prevSample, predOriginalSample) = StepCore(modelOutput, timestep, sample, noise ?? NoiseSource.Global);
        return new SchedulerStepOutput(OwnedResult(scope, prevSample), OwnedResult(scope, predOriginalSample));
    }

    public Tensor AddNoise(Tensor original, Tensor noise, Tensor timesteps) => Schedule.AddNoise(original, noise, timesteps);

    public virtual void KeepRows(long[] rows) { }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing) { }

    /// <summary>x_t → (x_{t−1}, x₀). Tensors created here are disposed with the step's scope unless returned.</summary>
    private protected abstract (Tensor PrevSample, Tensor PredOriginalSample) StepCore(
        Tensor modelOutput, int timestep, Tensor sample, NoiseSource noise);

    /// <summary>The timesteps for a number of steps; DPM-Solver lays its grid differently.</summary>
    private protected virtual int[] SpacedTimesteps(int numInferenceSteps) =>
        TimestepSpacings.Standard(Spacing, NumTrainTimesteps, numInferenceSteps, Config.StepsOffset);

    /// <param name="numInferenceSteps">The requested count, or null for custom timesteps.</param>
    private protected virtual void UseTimesteps(int[] timesteps, int? numInferenceSteps) => _timesteps = timesteps;

    /// <summary>The timestep after <paramref name="timestep"/> in <see cref="Timesteps"/>, or −1 after the last.</summary>
    private protected int NextTimestep(int timestep)
    {
        var index = Array.IndexOf(_timesteps, timestep);
        if (index < 0)
            throw new ArgumentException($"Timestep {timestep} is not one of this scheduler's timesteps.", nameof(timestep));
        return index + 1 < _timesteps.Length ? _timesteps[index + 1] : -1;
    }

    private protected float AlphaProd(int timestep) => (float)Schedule.AlphaCumprod(timestep);

    /// <summary>
    /// A model output with twice the sample's channels carries a predicted variance in its second
    /// half (IF, GLIDE, improved DDPM); split it off.
    /// </summary>
    private protected static (Tensor Prediction, Tensor? PredictedVariance) SplitVariance(Tensor modelOutput, Tensor sample)
    {
        var channels = sample.shape[1];
        if (modelOutput.shape[1] != 2 * channels) return (modelOutput, null);
        return (modelOutput.narrow(1, 0, channels), modelOutput.narrow(1, channels, channels));
    }

    /// <summary>
    /// x₀ from the network's prediction at x_t with ᾱ_t = <paramref name="alphaProdT"/>
    /// (Ho et al. 2020 eq. 15 for ε; Salimans and Ho 2022 for v).
    /// </summary>
    private protected Tensor PredictOriginal(Tensor prediction, Tensor sample, float alphaProdT)
    {
        var betaProdT = 1f - alphaProdT;
        return Prediction switch
        {
            PredictionType.Epsilon => (sample - MathF.Sqrt(betaProdT) * prediction) / MathF.Sqrt(alphaProdT),
            PredictionType.VPrediction => MathF.Sqrt(alphaProdT) * sample - MathF.Sqrt(betaProdT) * prediction,
            PredictionType.Sample => prediction.alias(),
            _ => throw new InvalidOperationException($"Unknown prediction type {Prediction}."),
        };
    }

    /// <summary>Clip or threshold a predicted x₀, per the config.</summary>
    private protected Tensor LimitOriginal(Tensor predOriginalSample) => _limits.Apply(predOriginalSample);

    /// <summary>A result must be a tensor of the step's own scope before it moves to the caller's.</summary>
    static Tensor OwnedResult(DisposeScope scope, Tensor result)
    {
        var owned = scope.Contains(result) ? result : result.alias();
        return scope.MoveToOuter(owned);
    }
}
