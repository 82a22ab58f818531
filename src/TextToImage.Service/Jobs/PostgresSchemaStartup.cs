using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace TextToImage.Service.Jobs;

/// <summary>
/// Prepares the job database as soon as the process starts, and keeps trying, with one clear log
/// line per try, while it cannot be reached; the host keeps running meanwhile (its /readyz says why
/// it is not ready), and every store call tries again by itself too.
/// </summary>
sealed class PostgresSchemaStartup(IJobStore jobs, ILogger<PostgresSchemaStartup> log) : BackgroundService
{
    static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        if (jobs is not PostgresJobStore store) return;   // SQLite creates its tables on open
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await store.EnsureSchemaAsync(stopping);
                if (attempt > 1) log.LogInformation("The job database ({Database}) is reachable again; its schema is ready.", store.Describe());
                return;
            }
            catch (Exception e) when (!stopping.IsCancellationRequested)
            {
                log.LogError("The job database ({Database}) cannot be used: {Reason} Trying again in {Interval} s (attempt {Attempt}).",
                    store.Describe(), e.Message, RetryInterval.TotalSeconds, attempt);
            }
            await Task.Delay(RetryInterval, stopping);
        }
    }
}
