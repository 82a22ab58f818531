namespace TextToImage.Service.Jobs;

/// <summary>
/// A generation request with every default resolved (model, seed, steps, ...): what the job
/// runs and what the record shows, so a job reads the same after the model's defaults change.
/// </summary>
public sealed record GenerationParameters
{
    public required string Prompt { get; init; }
    public string? NegativePrompt { get; init; }
    public required int NumImages { get; init; }
    public required long Seed { get; init; }
    public required double GuidanceScale { get; init; }
    public required int Steps { get; init; }
    public required string Sampler { get; init; }
    public required int Resolution { get; init; }
    public required string Model { get; init; }
}
