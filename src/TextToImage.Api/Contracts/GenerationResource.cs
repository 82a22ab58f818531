using TextToImage.Service.Jobs;

namespace TextToImage.Api.Contracts;

/// <summary>A generation job: its request as resolved, where it is, and what it made.</summary>
public sealed record GenerationResource
{
    /// <example>0192f3a1c2d37b4e8f0a1b2c3d4e5f60</example>
    public required string Id { get; init; }

    /// <summary><c>queued</c>, <c>running</c>, <c>succeeded</c>, <c>failed</c> or <c>canceled</c>.</summary>
    public required GenerationStatus Status { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary><c>generation</c> (text to image), <c>edit</c> (image-to-image or inpainting) or <c>upscale</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>An edit's or upscale's uploaded picture and mask, as stored (PNG); null for generations.</summary>
    public InputsResource? Inputs { get; init; }

    /// <summary>The request with every default resolved, the seed included.</summary>
    public required GenerationParameters Request { get; init; }

    /// <summary>1 for the next job to run; only while queued.</summary>
    public int? QueuePosition { get; init; }

    /// <summary>Where the running job is; null before it starts.</summary>
    public ProgressResource? Progress { get; init; }

    /// <summary>The final images, once succeeded. Image i has seed + i.</summary>
    public required IReadOnlyList<ImageResource> Images { get; init; }

    /// <summary>Progressive results: each finished lower-resolution stage's images, while later stages run.</summary>
    public required IReadOnlyList<StageImagesResource> StageImages { get; init; }

    /// <summary>Why the job failed; only when failed.</summary>
    public JobError? Error { get; init; }

    public MetricsResource? Metrics { get; init; }

    /// <summary>Whether cancellation was asked for (a running job stops within a sampler step).</summary>
    public bool CancelRequested { get; init; }

    /// <summary>How many times a worker has started the job: more than 1 after a crash, restart or retry.</summary>
    public int Attempts { get; init; }
}

/// <summary>The uploaded inputs of a job, to download.</summary>
/// <param name="Image">The picture, normalised to PNG.</param>
/// <param name="Mask">The inpainting mask (PNG, grey levels); null without one.</param>
public sealed record InputsResource(string Image, string? Mask);

/// <summary>Progress of a running job.</summary>
/// <param name="Stage">Name of the stage running.</param>
/// <param name="StageIndex">0 for the base stage.</param>
/// <param name="StageCount">Stages this job runs.</param>
/// <param name="Step">Sampler steps done in this stage.</param>
/// <param name="TotalSteps">Sampler steps of this stage.</param>
/// <param name="Fraction">Share of the whole job done, 0 to 1.</param>
public sealed record ProgressResource(string Stage, int StageIndex, int StageCount, int Step, int TotalSteps, double Fraction);

/// <summary>An image to download.</summary>
/// <param name="Url">GET it for the image file (the format the job asked for); it never changes.</param>
/// <param name="DrawnAs">The caption the prompt was drawn as, when the model has a prompt vocabulary (<c>promptVocabulary</c> in
/// GET /v1/models: it draws each prompt as the training subject nearest it, in that subject's first caption); null when the prompt was
/// drawn as given.</param>
public sealed record ImageResource(string Url, int Width, int Height, long Seed, string? DrawnAs = null);

/// <summary>The images of one finished stage.</summary>
public sealed record StageImagesResource(string Stage, int StageIndex, int Resolution, IReadOnlyList<ImageResource> Images);

/// <summary>Timings in seconds.</summary>
/// <param name="QueueSeconds">From submission to the start of the first run.</param>
/// <param name="RunSeconds">Of the run that finished the job.</param>
/// <param name="StageSeconds">Each stage's sampling time, by stage name.</param>
public sealed record MetricsResource(double? QueueSeconds, double? RunSeconds, IReadOnlyDictionary<string, double> StageSeconds);

/// <summary>A page of generations, newest first.</summary>
/// <param name="NextCursor">Pass as <c>cursor</c> for the next page; null on the last page.</param>
public sealed record GenerationPage(IReadOnlyList<GenerationResource> Items, string? NextCursor);
