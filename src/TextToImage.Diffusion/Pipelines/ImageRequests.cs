using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace TextToImage.Diffusion.Pipelines;

/// <summary>
/// Image-to-image (SDEdit) and inpainting: the prompt, seed, stages and resolution of
/// <see cref="Generation"/>, applied to a user's picture. The picture (and mask) may have any size:
/// each stage sees them resized to its square resolution.
/// </summary>
public sealed record EditRequest
{
    public required GenerationRequest Generation { get; init; }
    public required Image<Rgb24> Image { get; init; }

    /// <summary>White (≥ 128) marks what to repaint; the rest is kept. Null edits the whole picture.</summary>
    public Image<L8>? Mask { get; init; }

    /// <summary>How much of the schedule to run, 0 to 1: 0 returns the picture, 1 ignores it (outside a mask).</summary>
    public double Strength { get; init; } = 0.8;

    /// <summary>RePaint resampling of the base stage: rungs to go back at each jump; 0 = off. Needs a mask.</summary>
    public int JumpLength { get; init; }

    /// <summary>RePaint resampling: how often each jump point goes back; 0 = off.</summary>
    public int JumpCount { get; init; }
}

/// <summary>
/// Super-resolution of a user's picture by the cascade's super-resolution stages: the picture is
/// resized to the base stage's resolution (the first super-resolution stage's input) and taken up
/// to <see cref="GenerationRequest.Resolution"/>. The prompt may be empty (unconditional).
/// </summary>
public sealed record UpscaleRequest
{
    public required GenerationRequest Generation { get; init; }
    public required Image<Rgb24> Image { get; init; }

    /// <summary>Noise-conditioning augmentation level of every stage run (0 to T−1); null keeps each stage's setting.</summary>
    public int? NoiseLevel { get; init; }
}
