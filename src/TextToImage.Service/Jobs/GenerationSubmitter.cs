using Microsoft.Extensions.Options;
using TextToImage.Service.Blobs;
using TextToImage.Service.Hosting;

namespace TextToImage.Service.Jobs;

/// <summary>Queues a validated job: its record first, then the dispatch that carries its id.</summary>
public sealed class GenerationSubmitter(IJobStore store, IJobDispatcher dispatcher, IBlobStore blobs, IOptions<JobsOptions> options, TimeProvider clock)
{
    /// <param name="uploads">An edit's or upscale's pictures, validated PNGs: stored under the job's keys before its record
    /// exists, so a worker never sees a job without its inputs.</param>
    public async Task<CreateOutcome> SubmitAsync(GenerationParameters parameters, IdempotencyClaim? idempotency, CancellationToken cancellation,
        UploadedInputs? uploads = null)
    {
        var id = JobIds.Next(clock);
        var record = new GenerationRecord
        {
            Id = id,
            Status = GenerationStatus.Queued,
            CreatedAt = clock.GetUtcNow(),
            Parameters = parameters,
            Inputs = uploads is null ? null : await StoreInputs(id, uploads, cancellation),
        };
        var outcome = await store.CreateAsync(record, idempotency, options.Value.MaxQueueLength, cancellation);
        if (outcome.Result != CreateResult.Created) return outcome;
        // Should the process die right here, recovery finds the record without a dispatch and queues it.
        var dispatchId = dispatcher.Enqueue(record.Id);
        await store.SetDispatchAsync(record.Id, dispatchId, CancellationToken.None);
        return outcome with { Record = record with { DispatchId = dispatchId } };
    }

    async Task<JobInputs> StoreInputs(string id, UploadedInputs uploads, CancellationToken cancellation)
    {
        var image = BlobKey.ForInput(id);
        await blobs.PutAsync(image, uploads.ImagePng, ContentTypes.Png, cancellation);
        if (uploads.MaskPng is null) return new JobInputs(image.Value, null);
        var mask = BlobKey.ForMask(id);
        await blobs.PutAsync(mask, uploads.MaskPng, ContentTypes.Png, cancellation);
        return new JobInputs(image.Value, mask.Value);
    }
}

/// <summary>The validated pictures of an edit or upscale, normalised to PNG.</summary>
public sealed record UploadedInputs(byte[] ImagePng, byte[]? MaskPng);
