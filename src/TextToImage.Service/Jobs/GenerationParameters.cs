namespace TextToImage.Service.Jobs;

/// <summary>
/// A generation request with every default resolved (model, seed, steps, ...): what the job
/// runs and what the record shows, so a job reads the same after the model's defaults change.
/// </summary>
public sealed record GenerationParameters
{
    /// <summary>What to draw; empty for unconditional generation.</summary>
    public required string Prompt { get; init; }

    /// <summary>What guidance steers away from; null for the empty prompt.</summary>
    public string? NegativePrompt { get; init; }

    public required int NumImages { get; init; }

    /// <summary>Seed of image 0; image i uses seed + i.</summary>
    public required long Seed { get; init; }

    /// <summary>Classifier-free guidance scale of the base stage.</summary>
    public required double GuidanceScale { get; init; }

    /// <summary>Sampler steps of the base stage; super-resolution stages use their model defaults.</summary>
    public required int Steps { get; init; }

    /// <summary>Base-stage sampler: ddpm, ddim or dpmpp-2m.</summary>
    public required string Sampler { get; init; }

    /// <summary>Output size in pixels: the cascade runs up to the stage of this resolution.</summary>
    public required int Resolution { get; init; }

    public required string Model { get; init; }
}
