using System.Diagnostics;
using Microsoft.Extensions.Logging;
using TextToImage.Service.Hosting;
using TextToImage.Service.Models;

namespace TextToImage.Service.Jobs;

/// <summary>
/// One claimed run of a job: its cancellation, the latest progress, and a monitor loop that, a few
/// times a second, writes changed progress, renews the lease and reads the cancel flag. The engine
/// thread only swaps a reference per step; the store is written from the monitor alone.
/// </summary>
sealed class JobRun : IDisposable
{
    readonly GenerationRecord record;
    readonly JobLease lease;
    readonly IJobStore store;
    readonly JobsOptions options;
    readonly TimeProvider clock;
    readonly ILogger log;
    readonly CancellationTokenSource cancel;
    readonly CancellationTokenSource stopMonitor = new();
    readonly Stopwatch elapsed = Stopwatch.StartNew();
    readonly Dictionary<string, double> stageSeconds = [];
    JobProgress? latest;
    JobProgress? written;
    volatile bool canceledByUser;
    volatile bool leaseLost;

    public JobRun(GenerationRecord record, JobLease lease, IJobStore store, JobsOptions options, TimeProvider clock, CancellationToken shutdown, ILogger log)
    {
        this.record = record;
        this.lease = lease;
        this.store = store;
        this.options = options;
        this.clock = clock;
        this.log = log;
        cancel = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
    }

    public string Owner => lease.Owner;
    public CancellationToken Cancellation => cancel.Token;
    public bool CanceledByUser => canceledByUser;
    public bool LeaseLost => leaseLost;

    /// <summary>In-process fast path; the store's flag is already set by whoever asked.</summary>
    public void CancelByUser()
    {
        canceledByUser = true;
        cancel.Cancel();
    }

    public void Report(JobProgress progress) => Volatile.Write(ref latest, progress);

    public void StageCompleted(StageFiles stage)
    {
        lock (stageSeconds) stageSeconds[stage.Stage] = stage.Elapsed.TotalSeconds;
    }

    public JobMetrics Metrics()
    {
        var queued = record.StartedAt is { } started ? (started - record.CreatedAt).TotalSeconds : (double?)null;
        lock (stageSeconds) return new JobMetrics(queued, elapsed.Elapsed.TotalSeconds, new Dictionary<string, double>(stageSeconds));
    }

    public async Task MonitorAsync()
    {
        using var timer = new PeriodicTimer(Min(options.ProgressInterval, options.CancellationPollInterval), clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stopMonitor.Token))
                await Tick();
        }
        catch (OperationCanceledException) when (stopMonitor.IsCancellationRequested)
        {
        }
    }

    public async Task StopMonitor(Task monitor)
    {
        await stopMonitor.CancelAsync();
        await monitor;
    }

    async Task Tick()
    {
        try
        {
            var state = await store.RenewAsync(record.Id, lease with { Until = clock.GetUtcNow() + options.LeaseDuration }, CancellationToken.None);
            if (!state.Held)
            {
                leaseLost = true;
                await cancel.CancelAsync();
                return;
            }
            if (state.CancelRequested)
            {
                canceledByUser = true;
                await cancel.CancelAsync();
                return;
            }
            var progress = Volatile.Read(ref latest);
            if (progress is not null && progress != written && await store.ReportProgressAsync(record.Id, lease.Owner, progress, CancellationToken.None))
                written = progress;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A store hiccup must not kill the generation; the next tick tries again, and the lease
            // is long enough to survive a few misses.
            log.LogWarning(e, "Generation {Id}: progress/lease update failed.", record.Id);
        }
    }

    static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    public void Dispose()
    {
        cancel.Dispose();
        stopMonitor.Dispose();
    }
}
