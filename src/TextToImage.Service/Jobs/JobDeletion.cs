using Hangfire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TextToImage.Service.Blobs;
using TextToImage.Service.Hosting;

namespace TextToImage.Service.Jobs;

/// <summary>
/// Deletes jobs with everything they stored: on request (DELETE /v1/generations/{id}) and, as a
/// Hangfire recurring job, every job finished longer than <c>Jobs:Retention</c> ago. The record goes
/// first (conditionally: never a running job), then its blobs, so no worker can be writing what is
/// being deleted; a blob that cannot be deleted is logged and left.
/// </summary>
public sealed class JobDeletion(IJobStore store, IBlobStore blobs, IOptions<JobsOptions> options, TimeProvider clock, ILogger<JobDeletion> log)
{
    public const string RecurringJobId = "texttoimage-retention";

    /// <summary>Jobs deleted per batch of the retention sweep.</summary>
    const int Batch = 200;

    public async Task<DeleteOutcome> DeleteAsync(string id, CancellationToken cancellation)
    {
        var outcome = await store.DeleteAsync(id, cancellation);
        if (outcome is { Result: DeleteResult.Deleted, Record: { } record }) await DeleteBlobs(record);
        return outcome;
    }

    /// <summary>The retention sweep; safe to run in several processes at once (each record is deleted once).</summary>
    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    [AutomaticRetry(Attempts = 0)]
    public async Task<int> SweepAsync(CancellationToken cancellation)
    {
        var cutoff = clock.GetUtcNow() - options.Value.Retention;
        var deleted = 0;
        while (true)
        {
            var old = await store.ListFinishedBeforeAsync(cutoff, Batch, cancellation);
            foreach (var record in old)
                if ((await DeleteAsync(record.Id, cancellation)).Result == DeleteResult.Deleted)
                    deleted++;
            if (old.Count < Batch) break;
        }
        if (deleted > 0) log.LogInformation("Retention: deleted {Count} jobs finished before {Cutoff:u}.", deleted, cutoff);
        return deleted;
    }

    /// <summary>Every blob <paramref name="record"/> names (images, stage images, uploads); also what a refused submission stored.</summary>
    internal async Task DeleteBlobs(GenerationRecord record)
    {
        var keys = record.Images.Select(i => i.Key)
            .Concat(record.StageImages.SelectMany(s => s.Images).Select(i => i.Key))
            .Concat(record.Inputs is { } inputs ? [inputs.Image, .. inputs.Mask is null ? Array.Empty<string>() : [inputs.Mask]] : [])
            .Distinct();
        foreach (var key in keys)
        {
            try
            {
                // Not the request's token: a client that hangs up must not leave half a job behind.
                await blobs.DeleteAsync(BlobKey.Parse(key), CancellationToken.None);
            }
            catch (Exception e)
            {
                log.LogWarning(e, "Generation {Id}: its blob {Key} could not be deleted; it is left in storage.", record.Id, key);
            }
        }
    }
}
