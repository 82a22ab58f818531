using TextToImage.Service.Jobs;

namespace TextToImage.Api.Contracts;

/// <summary>Turns job records into what the API shows: absolute image URLs, the queue position.</summary>
static class GenerationResources
{
    public static async Task<GenerationResource> ToResourceAsync(this GenerationRecord record, IJobStore store, HttpRequest request, CancellationToken cancellation) =>
        record.ToResource(await record.QueuePositionAsync(store, cancellation), request);

    /// <summary>The record's place in the queue (1 = next), read from the store; null when it is not queued.</summary>
    public static async Task<int?> QueuePositionAsync(this GenerationRecord record, IJobStore store, CancellationToken cancellation) =>
        record.Status == GenerationStatus.Queued ? await store.QueuePositionAsync(record.Id, cancellation) : null;

    public static GenerationResource ToResource(this GenerationRecord record, int? queuePosition, HttpRequest request) =>
        record.ToResource(queuePosition, BaseUrl(request));

    /// <param name="baseUrl">Scheme, host and path base of the absolute URLs (a webhook's: the address the job was submitted to).</param>
    public static GenerationResource ToResource(this GenerationRecord record, int? queuePosition, string baseUrl) => new()
    {
        Id = record.Id,
        Status = record.Status,
        CreatedAt = record.CreatedAt,
        StartedAt = record.StartedAt,
        CompletedAt = record.CompletedAt,
        Kind = record.Parameters.Kind,
        Inputs = record.Inputs is { } inputs
            ? new InputsResource(ImageUrl(baseUrl, inputs.Image), inputs.Mask is null ? null : ImageUrl(baseUrl, inputs.Mask))
            : null,
        Request = record.Parameters,
        QueuePosition = queuePosition,
        Progress = record is { Status: GenerationStatus.Running, Progress: { } p }
            ? new ProgressResource(p.Stage, p.StageIndex, p.StageCount, p.Step, p.TotalSteps, Math.Round(p.Fraction, 4))
            : null,
        Images = record.Images.Select(i => i.ToResource(baseUrl)).ToList(),
        StageImages = record.StageImages.Select(s => new StageImagesResource(s.Stage, s.StageIndex, s.Resolution,
            s.Images.Select(i => i.ToResource(baseUrl)).ToList())).ToList(),
        Error = record.Error,
        Metrics = record.Metrics is { } m ? new MetricsResource(Round(m.QueueSeconds), Round(m.RunSeconds), m.StageSeconds.ToDictionary(e => e.Key, e => Math.Round(e.Value, 3))) : null,
        CancelRequested = record.CancelRequested,
        Attempts = record.Attempts,
    };

    public static string LocationOf(HttpRequest request, string id) => $"{BaseUrl(request)}/v1/generations/{id}";

    static ImageResource ToResource(this StoredImage image, string baseUrl) =>
        new(ImageUrl(baseUrl, image.Key), image.Width, image.Height, image.Seed, image.DrawnAs);

    static string ImageUrl(string baseUrl, string key) => $"{baseUrl}/v1/images/{key}";

    public static string BaseUrl(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}";

    static double? Round(double? seconds) => seconds is { } s ? Math.Round(s, 3) : null;
}
