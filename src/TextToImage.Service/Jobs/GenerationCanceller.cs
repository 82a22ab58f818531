using TextToImage.Service.Telemetry;

namespace TextToImage.Service.Jobs;

/// <summary>Cancels a queued job at once (and takes its dispatch off the queue) or stops a running one.</summary>
public sealed class GenerationCanceller(IJobStore store, IJobDispatcher dispatcher, RunningJobs running, TimeProvider clock, ServiceMetrics metrics)
{
    public async Task<CancelOutcome> CancelAsync(string id, CancellationToken cancellation)
    {
        var outcome = await store.RequestCancelAsync(id, clock.GetUtcNow(), cancellation);
        if (outcome is { Result: CancelResult.Canceled, Record.DispatchId: { } dispatchId }) dispatcher.Remove(dispatchId);
        if (outcome is { Result: CancelResult.Canceled, Record: { } canceled }) metrics.Completed(GenerationStatus.Canceled, canceled.Parameters.Kind);
        if (outcome.Result == CancelResult.Requested) running.TryCancel(id);
        return outcome;
    }
}
