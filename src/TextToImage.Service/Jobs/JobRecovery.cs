using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TextToImage.Service.Hosting;

namespace TextToImage.Service.Jobs;

/// <summary>
/// Puts orphaned jobs back on the queue, at start-up and then every few seconds: running jobs
/// whose worker died (a dead process on this machine at once; elsewhere when the lease runs out)
/// and queued jobs whose dispatch was lost. Hangfire alone would wait out its 30-minute
/// invisibility timeout; a stale dispatch that surfaces later finds the record moved on and stops.
/// </summary>
public sealed class JobRecovery(IJobStore store, IJobDispatcher dispatcher, IOptions<JobsOptions> options, TimeProvider clock,
    ILogger<JobRecovery> log) : BackgroundService
{
    /// <summary>A job just submitted has its dispatch recorded a moment after its record: not lost.</summary>
    static readonly TimeSpan SubmissionGrace = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(options.Value.RecoveryInterval, clock);
        do
        {
            try
            {
                await RecoverAsync(stopping);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "Recovery scan failed; trying again in {Interval}.", options.Value.RecoveryInterval);
            }
        }
        while (await timer.WaitForNextTickAsync(stopping));
    }

    /// <returns>How many jobs were put back on the queue.</returns>
    public async Task<int> RecoverAsync(CancellationToken cancellation)
    {
        var recovered = 0;
        var now = clock.GetUtcNow();
        foreach (var record in await store.ListAsync(GenerationStatus.Running, 1000, null, null, cancellation))
        {
            var owner = record.Lease?.Owner;
            var ownerDead = owner is not null && LeaseOwners.IsDeadOnThisMachine(owner);
            if (!ownerDead && record.Lease is { } lease && lease.Until >= now) continue;
            if (record.CancelRequested && owner is not null)
            {
                await store.CompleteAsync(record.Id, owner, new JobCompletion(GenerationStatus.Canceled, now, [], null, null), cancellation);
                continue;
            }
            if (await Redispatch(record, ownerDead ? DateTimeOffset.MaxValue : now, cancellation)) recovered++;
        }
        foreach (var record in await store.ListAsync(GenerationStatus.Queued, 1000, null, null, cancellation))
        {
            if (now - record.CreatedAt < SubmissionGrace || dispatcher.StateOf(record.DispatchId, now) != DispatchState.Lost) continue;
            if (await Redispatch(record, now, cancellation)) recovered++;
        }
        return recovered;
    }

    async Task<bool> Redispatch(GenerationRecord record, DateTimeOffset leaseEndedBefore, CancellationToken cancellation)
    {
        var dispatchId = dispatcher.Enqueue(record.Id);
        if (await store.RedispatchAsync(record, leaseEndedBefore, dispatchId, cancellation))
        {
            log.LogWarning("Generation {Id} was orphaned ({Status}, dispatch {Old}); queued again as dispatch {New}.",
                record.Id, record.Status.Name(), record.DispatchId, dispatchId);
            return true;
        }
        dispatcher.Remove(dispatchId);
        return false;
    }
}
