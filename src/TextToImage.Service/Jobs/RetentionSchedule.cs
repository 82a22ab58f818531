using Hangfire;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TextToImage.Service.Hosting;

namespace TextToImage.Service.Jobs;

/// <summary>
/// Registers the hourly retention sweep (<see cref="JobDeletion.SweepAsync"/>) as a Hangfire recurring
/// job on the generation queue. Every process does it; the registration is idempotent and Hangfire
/// runs one instance per hour across the fleet. Retried while the job database is unreachable.
/// </summary>
sealed class RetentionSchedule(IRecurringJobManager recurring, IOptions<JobsOptions> options, ILogger<RetentionSchedule> log) : BackgroundService
{
    static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                recurring.AddOrUpdate<JobDeletion>(JobDeletion.RecurringJobId, options.Value.Queue, deletion => deletion.SweepAsync(CancellationToken.None),
                    Cron.Hourly());
                return;
            }
            catch (Exception e)
            {
                log.LogWarning("The retention sweep could not be scheduled yet ({Reason}); trying again in {Interval} s.", e.Message, RetryInterval.TotalSeconds);
            }
            await Task.Delay(RetryInterval, stopping);
        }
    }
}
