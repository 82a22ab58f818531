namespace TextToImage.Api.Contracts;

/// <summary>POST /v1/edits as multipart/form-data: a picture, optionally a mask, and the options.</summary>
public sealed class EditForm
{
    /// <summary>The picture to edit: PNG, JPEG or WebP. Each stage sees it stretched to its square resolution.</summary>
    public IFormFile? Image { get; set; }

    /// <summary>Inpainting: same size as the image; white (≥ 128) is repainted, the rest kept. Without it the whole picture is edited.</summary>
    public IFormFile? Mask { get; set; }

    /// <summary>What the result should show; empty for an unconditional edit.</summary>
    /// <example>a red apple</example>
    public string? Prompt { get; set; }

    /// <summary>What guidance steers away from.</summary>
    public string? NegativePrompt { get; set; }

    /// <summary>0 to 1: the share of the schedule run from the noised picture. 0 returns it, 1 ignores it. Default 0.8, or 1 with a mask.</summary>
    /// <example>0.6</example>
    public double? Strength { get; set; }

    /// <summary>Seed, 0 to 2^53 - 1; drawn and recorded when absent.</summary>
    public long? Seed { get; set; }

    /// <summary>Base-stage steps before strength applies (int(steps × strength) run). Default: the model's.</summary>
    public int? Steps { get; set; }

    /// <summary>Classifier-free guidance scale of the base stage, 0 to 50. Default: the model's.</summary>
    public double? GuidanceScale { get; set; }

    /// <summary>Base-stage sampler: ddpm, ddim or dpmpp-2m. Default: the model's.</summary>
    public string? Sampler { get; set; }

    /// <summary>Output size: one of the model's stage resolutions. Default: the largest.</summary>
    public int? Resolution { get; set; }

    /// <summary>Model name (GET /v1/models). Default: the service's default.</summary>
    public string? Model { get; set; }

    /// <summary>Inpainting: RePaint resampling of the base stage, steps back per jump (0 = off).</summary>
    public int? JumpLength { get; set; }

    /// <summary>Inpainting: RePaint resampling, how often each jump point goes back (0 = off).</summary>
    public int? JumpCount { get; set; }

    /// <summary>File format of the result: png (default), webp or jpeg.</summary>
    public string? OutputFormat { get; set; }

    /// <summary>WebP and JPEG quality, 1 to 100 (default 90).</summary>
    public int? OutputQuality { get; set; }

    /// <summary>An http(s) URL the job's events are posted to (Standard Webhooks), as for POST /v1/generations.</summary>
    public string? Webhook { get; set; }

    /// <summary>Which events the webhook gets: start, output, completed (repeat the field for several). Default: all.</summary>
    public List<string>? WebhookEventsFilter { get; set; }
}

/// <summary>POST /v1/upscales as multipart/form-data: a picture and the options.</summary>
public sealed class UpscaleForm
{
    /// <summary>The picture to upscale: PNG, JPEG or WebP; stretched to the base resolution (the first super-resolution stage's input).</summary>
    public IFormFile? Image { get; set; }

    /// <summary>What the picture shows; empty upscales unconditionally.</summary>
    public string? Prompt { get; set; }

    /// <summary>Noise-augmentation level of the super-resolution stages (0 to T-1): higher forgives more of the input's flaws. Default: each stage's.</summary>
    /// <example>100</example>
    public int? NoiseLevel { get; set; }

    /// <summary>Seed, 0 to 2^53 - 1; drawn and recorded when absent.</summary>
    public long? Seed { get; set; }

    /// <summary>Output size: one of the model's super-resolution resolutions. Default: the largest.</summary>
    public int? Resolution { get; set; }

    /// <summary>Model name (GET /v1/models). Default: the service's default.</summary>
    public string? Model { get; set; }

    /// <summary>File format of the result: png (default), webp or jpeg.</summary>
    public string? OutputFormat { get; set; }

    /// <summary>WebP and JPEG quality, 1 to 100 (default 90).</summary>
    public int? OutputQuality { get; set; }

    /// <summary>An http(s) URL the job's events are posted to (Standard Webhooks), as for POST /v1/generations.</summary>
    public string? Webhook { get; set; }

    /// <summary>Which events the webhook gets: start, output, completed (repeat the field for several). Default: all.</summary>
    public List<string>? WebhookEventsFilter { get; set; }
}
