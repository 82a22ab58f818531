namespace TextToImage.Service.Jobs;

/// <summary>One generation job as our store keeps it; status reads come from here, never from Hangfire.</summary>
public sealed record GenerationRecord
{
    public required string Id { get; init; }
    public required GenerationStatus Status { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    public required GenerationParameters Parameters { get; init; }

    /// <summary>
    /// The caller that made the job (a digest of its API key), who alone may see it; null when the
    /// service has no API keys configured, where every caller sees every job.
    /// </summary>
    public string? Owner { get; init; }

    /// <summary>The address the job was submitted to (scheme, host, path base), for the absolute URLs of its webhook bodies.</summary>
    public string? ApiBaseUrl { get; init; }

    /// <summary>The uploaded pictures of an edit or upscale, as PNGs in the blob store; null for generations.</summary>
    public JobInputs? Inputs { get; init; }
    public JobProgress? Progress { get; init; }
    public IReadOnlyList<StoredImage> Images { get; init; } = [];
    public IReadOnlyList<StageOutput> StageImages { get; init; } = [];
    public JobError? Error { get; init; }
    public JobMetrics? Metrics { get; init; }
    public bool CancelRequested { get; init; }

    /// <summary>How many times a worker has claimed the job (crashes and restarts included).</summary>
    public int Attempts { get; init; }

    /// <summary>The Hangfire job that currently carries this record; older ones find a mismatch and stand down.</summary>
    public string? DispatchId { get; init; }

    /// <summary>The claim of the worker running the job; null unless running.</summary>
    public JobLease? Lease { get; init; }
}

/// <summary>Where a running job is: stage <see cref="StageIndex"/> of <see cref="StageCount"/>, sampler step <see cref="Step"/>.</summary>
public sealed record JobProgress(string Stage, int StageIndex, int StageCount, int Step, int TotalSteps)
{
    /// <summary>Share of the whole job done, counting every stage as an equal part.</summary>
    public double Fraction => TotalSteps == 0 || StageCount == 0 ? 0 : (StageIndex + (double)Step / TotalSteps) / StageCount;
}

/// <summary>Blob keys of a job's uploaded picture and (inpainting) mask, validated and normalised to PNG.</summary>
public sealed record JobInputs(string Image, string? Mask);

/// <summary>An image in the blob store.</summary>
/// <param name="DrawnAs">The model's vocabulary caption the prompt was drawn as (a model with a prompt vocabulary); null when drawn as given.</param>
public sealed record StoredImage(string Key, int Width, int Height, long Seed, string? DrawnAs = null);

/// <summary>The images one stage produced (progressive results).</summary>
public sealed record StageOutput(string Stage, int StageIndex, int Resolution, IReadOnlyList<StoredImage> Images);

/// <summary>Why a job failed: a stable <c>code</c> for programs, a message for people.</summary>
public sealed record JobError(string Code, string Message)
{
    public const string InvalidRequest = "invalid_request";
    public const string ModelUnavailable = "model_unavailable";
    public const string Internal = "internal_error";
}

/// <summary>Timings: seconds waiting, seconds running, and each stage's seconds by name.</summary>
public sealed record JobMetrics(double? QueueSeconds, double? RunSeconds, IReadOnlyDictionary<string, double> StageSeconds);
