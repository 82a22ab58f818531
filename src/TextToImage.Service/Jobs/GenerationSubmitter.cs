using Microsoft.Extensions.Options;
using TextToImage.Service.Blobs;
using TextToImage.Service.Hosting;
using TextToImage.Service.Telemetry;

namespace TextToImage.Service.Jobs;

/// <summary>Queues a validated job: its record first, then the dispatch that carries its id.</summary>
public sealed class GenerationSubmitter(IJobStore store, IJobDispatcher dispatcher, IBlobStore blobs, JobDeletion deletion, IOptions<JobsOptions> options,
    TimeProvider clock, ServiceMetrics metrics)
{
    /// <param name="uploads">An edit's or upscale's pictures, validated PNGs: stored under the job's keys before its record
    /// exists, so a worker never sees a job without its inputs; deleted again when the submission is refused
    /// (full queue, a repeated or conflicting idempotency key) or fails, so no blob is left that no record names.</param>
    /// <param name="owner">The caller the job belongs to (<see cref="GenerationRecord.Owner"/>).</param>
    /// <param name="apiBaseUrl">The address the job was submitted to (<see cref="GenerationRecord.ApiBaseUrl"/>).</param>
    public async Task<CreateOutcome> SubmitAsync(GenerationParameters parameters, IdempotencyClaim? idempotency, string? owner, string? apiBaseUrl,
        CancellationToken cancellation, UploadedInputs? uploads = null)
    {
        var id = JobIds.Next(clock);
        var record = new GenerationRecord
        {
            Id = id,
            Status = GenerationStatus.Queued,
            CreatedAt = clock.GetUtcNow(),
            Parameters = parameters,
            Owner = owner,
            ApiBaseUrl = apiBaseUrl,
            Inputs = uploads is null ? null : await StoreInputs(id, uploads, cancellation),
        };
        CreateOutcome outcome;
        try
        {
            outcome = await store.CreateAsync(record, idempotency, options.Value.MaxQueueLength, cancellation);
        }
        catch
        {
            await deletion.DeleteBlobs(record);
            throw;
        }
        if (outcome.Result != CreateResult.Created)
        {
            await deletion.DeleteBlobs(record);
            return outcome;
        }
        // Should the process die right here, recovery finds the record without a dispatch and queues it.
        var dispatchId = dispatcher.Enqueue(record.Id);
        await store.SetDispatchAsync(record.Id, dispatchId, CancellationToken.None);
        metrics.Submitted(parameters.Kind);
        return outcome with { Record = record with { DispatchId = dispatchId } };
    }

    async Task<JobInputs> StoreInputs(string id, UploadedInputs uploads, CancellationToken cancellation)
    {
        var image = BlobKey.ForInput(id);
        await blobs.PutAsync(image, uploads.ImagePng, ContentTypes.Png, cancellation);
        if (uploads.MaskPng is null) return new JobInputs(image.Value, null);
        var mask = BlobKey.ForMask(id);
        try
        {
            await blobs.PutAsync(mask, uploads.MaskPng, ContentTypes.Png, cancellation);
        }
        catch
        {
            await blobs.DeleteAsync(image, CancellationToken.None);
            throw;
        }
        return new JobInputs(image.Value, mask.Value);
    }
}

/// <summary>The validated pictures of an edit or upscale, normalised to PNG.</summary>
public sealed record UploadedInputs(byte[] ImagePng, byte[]? MaskPng);
