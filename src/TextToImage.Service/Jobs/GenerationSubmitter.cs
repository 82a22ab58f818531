using Microsoft.Extensions.Options;
using TextToImage.Service.Hosting;

namespace TextToImage.Service.Jobs;

/// <summary>Queues a validated job: its record first, then the dispatch that carries its id.</summary>
public sealed class GenerationSubmitter(IJobStore store, IJobDispatcher dispatcher, IOptions<JobsOptions> options, TimeProvider clock)
{
    public async Task<CreateOutcome> SubmitAsync(GenerationParameters parameters, IdempotencyClaim? idempotency, CancellationToken cancellation)
    {
        var record = new GenerationRecord
        {
            Id = NewId(),
            Status = GenerationStatus.Queued,
            CreatedAt = clock.GetUtcNow(),
            Parameters = parameters,
        };
        var outcome = await store.CreateAsync(record, idempotency, options.Value.MaxQueueLength, cancellation);
        if (outcome.Result != CreateResult.Created) return outcome;
        // Should the process die right here, recovery finds the record without a dispatch and queues it.
        var dispatchId = dispatcher.Enqueue(record.Id);
        await store.SetDispatchAsync(record.Id, dispatchId, CancellationToken.None);
        return outcome with { Record = record with { DispatchId = dispatchId } };
    }

    /// <summary>Time-ordered (UUID v7), so ids sort by submission and page newest first; safe in blob keys.</summary>
    static string NewId() => Guid.CreateVersion7().ToString("N");
}
