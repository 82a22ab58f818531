using TextToImage.Diffusion.Samplers;

namespace TextToImage.Training.Evaluation;

/// <summary>
/// One sampler to evaluate retrieval with: its API name, step count and, optionally, a smaller
/// number of captions (the first of the same shuffle) for an expensive one: "ddpm:1000@50".
/// </summary>
public sealed record SamplerRun(string Sampler, int Steps, int? Count = null)
{
    public static IReadOnlyList<SamplerRun> Defaults { get; } = Parse("ddpm:1000,ddim:50,dpmpp-2m:20");

    /// <summary>Parses "ddpm:1000@50,ddim:50,dpmpp-2m:20".</summary>
    public static IReadOnlyList<SamplerRun> Parse(string text)
    {
        var runs = new List<SamplerRun>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pieces = part.Split(':');
            var stepsAndCount = pieces.Length == 2 ? pieces[1].Split('@') : [];
            int? count = null;
            if (stepsAndCount.Length is < 1 or > 2 || !int.TryParse(stepsAndCount[0], out var steps) || steps < 1
                || stepsAndCount.Length == 2 && (!int.TryParse(stepsAndCount[1], out var n) || (count = n) < 1))
                throw new ArgumentException($"'{part}' is not SAMPLER:STEPS or SAMPLER:STEPS@COUNT (e.g. ddim:50, ddpm:1000@50).");
            runs.Add(new SamplerRun(SchedulerFactory.SamplerName(SchedulerFactory.ParseSampler(pieces[0])), steps, count));
        }
        return runs.Count > 0 ? runs : throw new ArgumentException("Name at least one SAMPLER:STEPS.");
    }

    public override string ToString() => Count is { } n ? $"{Sampler}:{Steps}@{n}" : $"{Sampler}:{Steps}";
}

/// <summary>What <c>t2i eval</c> runs.</summary>
public sealed record EvalSettings
{
    public required string ModelFolder { get; init; }

    /// <summary>Image folder at the base stage's resolution: the captions and the retrieval gallery.</summary>
    public required string DataFolder { get; init; }

    /// <summary>Image folder at the super-resolution stage's resolution; null skips that part.</summary>
    public string? SrDataFolder { get; init; }

    /// <summary>Held-out prompts (<see cref="HeldOutPrompts"/>) to retrieve with instead of the data's own captions; null: the captions.</summary>
    public string? PromptsFile { get; init; }

    public int Count { get; init; } = 200;
    public long Seed { get; init; }
    public IReadOnlyList<SamplerRun> Samplers { get; init; } = SamplerRun.Defaults;

    /// <summary>Base-stage guidance; null is the stage's default.</summary>
    public double? Guidance { get; init; }

    public int Batch { get; init; } = 50;
    public int SrBatch { get; init; } = 10;

    /// <summary>The super-resolution stage to evaluate; null is the first.</summary>
    public string? SrStage { get; init; }

    public int? SrSteps { get; init; }
    public int? SrNoiseLevel { get; init; }
    public double? SrGuidance { get; init; }

    public void Validate()
    {
        if (Count < 1) throw new ArgumentException($"--count must be at least 1, not {Count}.");
        if (Batch < 1 || SrBatch < 1) throw new ArgumentException("Batch sizes must be at least 1.");
        if (Samplers.Count == 0 && SrDataFolder is null) throw new ArgumentException("Nothing to evaluate: no sampler and no --sr-data.");
        if (PromptsFile is not null && Samplers.Count == 0) throw new ArgumentException("--prompts are measured by retrieval: name a sampler (not --samplers none).");
    }
}
