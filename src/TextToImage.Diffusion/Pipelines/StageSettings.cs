using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Samplers;

namespace TextToImage.Diffusion.Pipelines;

/// <summary>The settings one stage runs with: the request's overrides over the model's defaults, validated.</summary>
public sealed record StageSettings(SamplerKind Sampler, int Steps, double GuidanceScale, int NoiseLevel, double Eta, IReadOnlyList<int>? Timesteps)
{
    public const double MaxGuidanceScale = 50;

    public static StageSettings Resolve(CascadeStage stage, StageOptions? options)
    {
        var defaults = stage.Defaults;
        var trainSteps = stage.Scheduler.NumTrainTimesteps;
        var settings = new StageSettings(
            ParseSampler(stage, options?.Sampler ?? defaults.Sampler),
            options?.Timesteps?.Count ?? options?.Steps ?? defaults.Steps,
            options?.GuidanceScale ?? defaults.GuidanceScale,
            options?.NoiseLevel ?? defaults.NoiseLevel,
            options?.Eta ?? defaults.Eta,
            options?.Timesteps);
        if (settings.Steps < 1 || settings.Steps > trainSteps)
            throw new InvalidGenerationRequestException($"Stage '{stage.Name}': steps must be between 1 and {trainSteps}, not {settings.Steps}.");
        if (settings.GuidanceScale is < 0 or > MaxGuidanceScale || double.IsNaN(settings.GuidanceScale))
            throw new InvalidGenerationRequestException($"Stage '{stage.Name}': guidance scale must be between 0 and {MaxGuidanceScale}, not {settings.GuidanceScale}.");
        if (stage.Kind == StageKind.SuperResolution && (settings.NoiseLevel < 0 || settings.NoiseLevel >= trainSteps))
            throw new InvalidGenerationRequestException($"Stage '{stage.Name}': noise level must be between 0 and {trainSteps - 1}, not {settings.NoiseLevel}.");
        if (settings.Eta is < 0 or > 1)
            throw new InvalidGenerationRequestException($"Stage '{stage.Name}': eta must be between 0 and 1, not {settings.Eta}.");
        return settings;
    }

    static SamplerKind ParseSampler(CascadeStage stage, string name) => SchedulerFactory.TryParseSampler(name, out var kind)
        ? kind
        : throw new InvalidGenerationRequestException(
            $"Stage '{stage.Name}': unknown sampler '{name}'; valid samplers are: {string.Join(", ", SchedulerFactory.SamplerNames)}.");

    /// <summary>Guidance needs the unconditional branch only when it changes the result.</summary>
    public bool UsesGuidance => GuidanceScale != 1.0;
}
