namespace TextToImage.Service.Requests;

/// <summary>The form fields of an edit (image-to-image or inpainting); the picture and mask travel beside them.</summary>
public sealed record CreateEditRequest
{
    /// <summary>What the edited picture should show; empty or absent for an unconditional edit.</summary>
    public string? Prompt { get; init; }
    public string? NegativePrompt { get; init; }

    /// <summary>0 to 1: how much of the schedule runs. 0 returns the picture, 1 ignores it. Default 0.8, or 1 with a mask.</summary>
    public double? Strength { get; init; }

    public long? Seed { get; init; }
    public int? Steps { get; init; }
    public double? GuidanceScale { get; init; }
    public string? Sampler { get; init; }
    public int? Resolution { get; init; }
    public string? Model { get; init; }

    /// <summary>Inpainting only: RePaint resampling, rungs back per jump (0 = off).</summary>
    public int? JumpLength { get; init; }

    /// <summary>Inpainting only: RePaint resampling, jumps per jump point (0 = off).</summary>
    public int? JumpCount { get; init; }

    public string? OutputFormat { get; init; }
    public int? OutputQuality { get; init; }
    public string? Webhook { get; init; }
    public IReadOnlyList<string>? WebhookEventsFilter { get; init; }
}

/// <summary>The form fields of an upscale; the picture travels beside them.</summary>
public sealed record CreateUpscaleRequest
{
    /// <summary>What the picture shows; empty or absent upscales unconditionally.</summary>
    public string? Prompt { get; init; }

    /// <summary>Noise-augmentation level of the super-resolution stages (0 to T-1); default each stage's.</summary>
    public int? NoiseLevel { get; init; }

    public long? Seed { get; init; }
    public int? Resolution { get; init; }
    public string? Model { get; init; }
    public string? OutputFormat { get; init; }
    public int? OutputQuality { get; init; }
    public string? Webhook { get; init; }
    public IReadOnlyList<string>? WebhookEventsFilter { get; init; }
}
