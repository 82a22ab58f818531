namespace TextToImage.Diffusion.Pipelines;

/// <summary>
/// What to generate. <see cref="Stages"/>[i] overrides stage i's defaults; absent or null
/// entries keep them. Image i uses seed <see cref="Seed"/> + i.
/// </summary>
public sealed record GenerationRequest
{
    public required string Prompt { get; init; }
    public string? NegativePrompt { get; init; }
    public int NumImages { get; init; } = 1;
    public long Seed { get; init; }

    /// <summary>Batched (the default, faster) or per-image (byte-reproducible whatever the batch); see <see cref="SamplingMode"/>.</summary>
    public SamplingMode Sampling { get; init; } = SamplingMode.Batched;

    /// <summary>Stop after the stage of this output resolution; null runs the whole cascade.</summary>
    public int? Resolution { get; init; }

    public IReadOnlyList<StageOptions?>? Stages { get; init; }

    public StageOptions? OptionsFor(int stageIndex) =>
        Stages is { } options && stageIndex < options.Count ? options[stageIndex] : null;
}

/// <summary>Per-stage overrides of the model's defaults.</summary>
public sealed record StageOptions
{
    public string? Sampler { get; init; }
    public int? Steps { get; init; }
    public double? GuidanceScale { get; init; }
    public int? NoiseLevel { get; init; }
    public double? Eta { get; init; }

    /// <summary>Explicit descending training timesteps to visit, instead of <see cref="Steps"/>.</summary>
    public IReadOnlyList<int>? Timesteps { get; init; }
}

/// <summary>Reported after every sampler step of every stage.</summary>
public sealed record GenerationProgress(int StageIndex, string StageName, int StageCount, int Step, int TotalSteps);
