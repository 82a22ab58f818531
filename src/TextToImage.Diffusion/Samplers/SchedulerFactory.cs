namespace TextToImage.Diffusion.Samplers;

/// <summary>The samplers the engine offers.</summary>
public enum SamplerKind
{
    /// <summary>"ddpm": ancestral sampling, stochastic.</summary>
    Ddpm,

    /// <summary>"ddim": deterministic at η = 0.</summary>
    Ddim,

    /// <summary>"dpmpp-2m": multistep DPM-Solver++ of order 2, deterministic.</summary>
    DpmSolverPlusPlus2M,
}

/// <summary>Builds any sampler from a model's one scheduler config (as diffusers' <c>from_config</c> does).</summary>
public static class SchedulerFactory
{
    static readonly (SamplerKind Kind, string Name)[] Names =
    [
        (SamplerKind.Ddpm, "ddpm"),
        (SamplerKind.Ddim, "ddim"),
        (SamplerKind.DpmSolverPlusPlus2M, "dpmpp-2m"),
    ];

    /// <summary>The API names, in order: ddpm, ddim, dpmpp-2m.</summary>
    public static IReadOnlyList<string> SamplerNames { get; } = Names.Select(n => n.Name).ToArray();

    public static SamplerKind ParseSampler(string name) => TryParseSampler(name, out var kind)
        ? kind
        : throw new ArgumentException($"Unknown sampler '{name}'; valid samplers are: {string.Join(", ", SamplerNames)}.", nameof(name));

    public static bool TryParseSampler(string? name, out SamplerKind kind)
    {
        foreach (var (known, knownName) in Names)
            if (string.Equals(name?.Trim(), knownName, StringComparison.OrdinalIgnoreCase))
            {
                kind = known;
                return true;
            }
        kind = default;
        return false;
    }

    public static string SamplerName(SamplerKind kind) =>
        Names.FirstOrDefault(n => n.Kind == kind).Name ?? throw new ArgumentOutOfRangeException(nameof(kind), kind, null);

    /// <param name="eta">DDIM's noise weight η (0 to 1). DDPM is always fully stochastic and
    /// DPM-Solver++ always deterministic, so they ignore it.</param>
    public static IScheduler Create(SamplerKind kind, SchedulerConfig config, double eta = 0) => kind switch
    {
        SamplerKind.Ddpm => new DdpmScheduler(config),
        SamplerKind.Ddim => new DdimScheduler(config, eta),
        // "2M" fixes the algorithm and the order, whatever a DPM-Solver config of the model says.
        SamplerKind.DpmSolverPlusPlus2M => new DpmSolverMultistepScheduler(config with { AlgorithmType = "dpmsolver++", SolverOrder = 2 }),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static IScheduler Create(string samplerName, SchedulerConfig config, double eta = 0) =>
        Create(ParseSampler(samplerName), config, eta);
}
