using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TextToImage.Service.Jobs;

namespace TextToImage.Service.Telemetry;

/// <summary>
/// <c>t2i.queue.length</c>: jobs waiting, read from the shared job store when metrics are collected,
/// so every process reports the same number (take one, not the sum).
/// </summary>
public sealed class QueueLengthGauge(IMeterFactory meters, IJobStore store, ILogger<QueueLengthGauge> log) : IHostedService
{
    public Task StartAsync(CancellationToken cancellation)
    {
        meters.Create(ServiceMetrics.Name).CreateObservableGauge("t2i.queue.length", Read, "{job}", "Jobs waiting to run, in the shared job store.");
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellation) => Task.CompletedTask;

    // A scrape must answer while the database does not: the gauge is then left out, and the log says why.
    IEnumerable<Measurement<long>> Read()
    {
        try
        {
            return [new Measurement<long>(store.CountQueuedAsync(CancellationToken.None).GetAwaiter().GetResult())];
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            log.LogWarning("The queue length is left out of the metrics: {Reason}", e.Message);
            return [];
        }
    }
}
