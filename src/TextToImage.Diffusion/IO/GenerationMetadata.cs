namespace TextToImage.Diffusion.IO;

/// <summary>
/// The settings that produced an image, stored in its PNG so the image can be reproduced.
/// <paramref name="Extra"/> holds anything further (scheduler options, LoRAs, …) as strings.
/// Equality compares <paramref name="Extra"/> by content, so a metadata read back from a PNG
/// equals the one written.
/// </summary>
public sealed record GenerationMetadata(
    string Prompt,
    string? NegativePrompt,
    long Seed,
    int Steps,
    string Sampler,
    double GuidanceScale,
    string Model,
    int Width,
    int Height,
    IReadOnlyDictionary<string, string>? Extra = null)
{
    public bool Equals(GenerationMetadata? other) =>
        other is not null
        && Prompt == other.Prompt
        && NegativePrompt == other.NegativePrompt
        && Seed == other.Seed
        && Steps == other.Steps
        && Sampler == other.Sampler
        && GuidanceScale.Equals(other.GuidanceScale)
        && Model == other.Model
        && Width == other.Width
        && Height == other.Height
        && SameExtra(Extra, other.Extra);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Prompt);
        hash.Add(NegativePrompt);
        hash.Add(Seed);
        hash.Add(Steps);
        hash.Add(Sampler);
        hash.Add(GuidanceScale);
        hash.Add(Model);
        hash.Add(Width);
        hash.Add(Height);
        // Order-independent, matching SameExtra.
        hash.Add(Extra?.Aggregate(0, (h, kv) => h ^ HashCode.Combine(kv.Key, kv.Value)) ?? 0);
        return hash.ToHashCode();
    }

    // An empty Extra and no Extra say the same thing; a PNG cannot tell them apart.
    static bool SameExtra(IReadOnlyDictionary<string, string>? a, IReadOnlyDictionary<string, string>? b)
    {
        var (left, right) = (a ?? Empty, b ?? Empty);
        return left.Count == right.Count
               && left.All(kv => right.TryGetValue(kv.Key, out var value) && value == kv.Value);
    }

    static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>();
}
