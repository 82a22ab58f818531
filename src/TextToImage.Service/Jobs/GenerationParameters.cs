using TextToImage.Diffusion.IO;

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

    /// <summary>Classifier-free guidance scale of the base stage (an upscale's: of its first super-resolution stage).</summary>
    public required double GuidanceScale { get; init; }

    /// <summary>Sampler steps of the base stage (an upscale's: of its first super-resolution stage); other stages use their model defaults.</summary>
    public required int Steps { get; init; }

    /// <summary>Base-stage sampler (an upscale's: its first super-resolution stage's): ddpm, ddim or dpmpp-2m.</summary>
    public required string Sampler { get; init; }

    /// <summary>Output size in pixels: the cascade runs up to the stage of this resolution.</summary>
    public required int Resolution { get; init; }

    public required string Model { get; init; }

    /// <summary>Whether each image ran on its own (byte-reproducible whatever the batch) instead of all together.</summary>
    public bool Reproducible { get; init; }

    /// <summary>File format of the images: <c>png</c>, <c>webp</c> or <c>jpeg</c>. Records written before formats read back as png.</summary>
    public string OutputFormat { get; init; } = "png";

    /// <summary>WebP and JPEG quality, 1 to 100; null for PNG.</summary>
    public int? OutputQuality { get; init; }

    /// <summary>How the job's images are written, from <see cref="OutputFormat"/> and <see cref="OutputQuality"/>.</summary>
    public ImageEncoding Encoding() =>
        ImageEncoding.TryParseFormat(OutputFormat, out var format)
            ? new ImageEncoding(format, OutputQuality ?? ImageEncoding.DefaultQuality)
            : throw new InvalidOperationException($"The job's output format '{OutputFormat}' is not one of {string.Join(", ", ImageEncoding.Names)}.");

    /// <summary>The URL the job's events are posted to (Standard Webhooks), or null.</summary>
    public string? Webhook { get; init; }

    /// <summary>Which events the webhook gets: <c>start</c>, <c>output</c>, <c>completed</c>; null with a webhook: all of them.</summary>
    public IReadOnlyList<string>? WebhookEventsFilter { get; init; }

    /// <summary>
    /// What the job does: <c>generation</c> (text to image), <c>edit</c> (image-to-image or
    /// inpainting of the uploaded image) or <c>upscale</c> (super-resolution of it). Records
    /// written before jobs had kinds read back as generations.
    /// </summary>
    public string Kind { get; init; } = JobKinds.Generation;

    /// <summary>Edits: how much of the schedule runs, 0 (the input back) to 1 (ignore it outside the mask).</summary>
    public double? Strength { get; init; }

    /// <summary>Inpainting: RePaint resampling, rungs back per jump (0 = off).</summary>
    public int? JumpLength { get; init; }

    /// <summary>Inpainting: RePaint resampling, jumps back per jump point (0 = off).</summary>
    public int? JumpCount { get; init; }

    /// <summary>Upscales: the noise-augmentation level of every super-resolution stage (the first one's default when none was asked for).</summary>
    public int? NoiseLevel { get; init; }
}

/// <summary>The kinds of job, as <see cref="GenerationParameters.Kind"/> spells them.</summary>
public static class JobKinds
{
    public const string Generation = "generation";
    public const string Edit = "edit";
    public const string Upscale = "upscale";
}
