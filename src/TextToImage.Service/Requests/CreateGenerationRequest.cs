using System.Text.Json.Serialization;

namespace TextToImage.Service.Requests;

/// <summary>A text-to-image job to queue. Only <c>prompt</c> is required; the model's defaults fill the rest.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CreateGenerationRequest
{
    /// <summary>What to draw, up to 1000 characters. The empty string asks for unconditional generation.</summary>
    /// <example>a red apple, flat style</example>
    public string? Prompt { get; init; }

    /// <summary>What to steer away from; guidance contrasts the prompt with this instead of the empty prompt.</summary>
    /// <example>blurry</example>
    public string? NegativePrompt { get; init; }

    /// <summary>How many images, 1 to 4 (default 1). Image i uses seed + i.</summary>
    /// <example>1</example>
    public int? NumImages { get; init; }

    /// <summary>Seed of the first image, 0 to 2^53 - 1. When absent one is drawn and recorded in the job.</summary>
    /// <example>42</example>
    public long? Seed { get; init; }

    /// <summary>Classifier-free guidance scale of the base stage, 0 to 50 (1 = no guidance). Default: the model's.</summary>
    /// <example>4</example>
    public double? GuidanceScale { get; init; }

    /// <summary>Sampler steps of the base stage. Default: the model's.</summary>
    /// <example>25</example>
    public int? Steps { get; init; }

    /// <summary>Base-stage sampler: <c>ddpm</c>, <c>ddim</c> or <c>dpmpp-2m</c>. Default: the model's.</summary>
    /// <example>dpmpp-2m</example>
    public string? Sampler { get; init; }

    /// <summary>Output size in pixels: one of the model's stage resolutions (GET /v1/models). Default: the largest.</summary>
    public int? Resolution { get; init; }

    /// <summary>Model name (GET /v1/models). Default: the service's default model.</summary>
    public string? Model { get; init; }

    /// <summary>
    /// true: each image runs through the network on its own, so image i has the same bytes as a 1-image job with seed + i.
    /// Default false: a job's images go through together, faster; they then match such single runs up to rounding
    /// (a pixel off by a level or two). The PNGs record which ran (<c>sampling</c>).
    /// </summary>
    public bool? Reproducible { get; init; }

    /// <summary>File format of the images: <c>png</c> (default, lossless), <c>webp</c> or <c>jpeg</c>. Each keeps the generation parameters (PNG text chunks; WebP and JPEG: XMP).</summary>
    /// <example>png</example>
    public string? OutputFormat { get; init; }

    /// <summary>WebP and JPEG quality, 1 to 100 (default 90); not for PNG.</summary>
    public int? OutputQuality { get; init; }

    /// <summary>
    /// An http(s) URL to POST the job to as it runs (Standard Webhooks: signed with the service's secret, retried with backoff,
    /// at least once). Private and loopback addresses are refused unless the service allows them.
    /// </summary>
    /// <example>https://example.com/hooks/t2i</example>
    public string? Webhook { get; init; }

    /// <summary>Which events the webhook gets: <c>start</c>, <c>output</c> (each stage's images), <c>completed</c>. Default: all.</summary>
    public IReadOnlyList<string>? WebhookEventsFilter { get; init; }
}
