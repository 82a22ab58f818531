using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace TextToImage.Service.Hosting;

/// <summary>The <c>Jobs</c> section's rules; PostgreSQL also needs <c>ConnectionStrings:Jobs</c>, outside the section.</summary>
public sealed class JobsOptionsValidator(IConfiguration configuration) : IValidateOptions<JobsOptions>
{
    /// <summary>Four jobs of the most images one job may ask for.</summary>
    public const int MaxBatchImagesLimit = 64;

    public ValidateOptionsResult Validate(string? name, JobsOptions options) =>
        OptionsValidation.Result(Problems(options, configuration.GetConnectionString(JobsOptions.ConnectionStringName),
            configuration[$"{JobsOptions.Section}:WorkerCount"]));

    /// <param name="workerCount">The retired <c>Jobs:WorkerCount</c>, when a configuration still sets it.</param>
    public static List<string> Problems(JobsOptions options, string? connectionString, string? workerCount = null)
    {
        var problems = new List<string>();
        problems.CheckDefined("Jobs:Storage", options.Storage);
        if (options.Storage == JobStoreEngine.Postgresql && string.IsNullOrWhiteSpace(connectionString))
            problems.Add("Jobs:Storage 'postgresql' needs the database in ConnectionStrings:Jobs (environment ConnectionStrings__Jobs), " +
                         "e.g. Host=db;Database=texttoimage;Username=t2i;Password=...");
        if (string.IsNullOrWhiteSpace(options.Queue)) problems.Add("Jobs:Queue must name a queue");
        if (workerCount is not null)
            problems.Add($"Jobs:WorkerCount ({workerCount}) is no longer a setting: a process claims as many jobs as Jobs:MaxBatchImages lets it " +
                         "batch on its device; remove it, and run one worker process per device");
        if (options.MaxBatchImages is < 1 or > MaxBatchImagesLimit)
            problems.Add($"Jobs:MaxBatchImages must be between 1 and {MaxBatchImagesLimit}, not {options.MaxBatchImages}");
        if (options.MaxQueueLength < 1) problems.Add($"Jobs:MaxQueueLength must be at least 1, not {options.MaxQueueLength}");
        if (options.MaxAttempts is < 1 or > 10) problems.Add($"Jobs:MaxAttempts must be between 1 and 10, not {options.MaxAttempts}");
        if (options.LeaseDuration <= TimeSpan.FromSeconds(2)) problems.Add($"Jobs:LeaseDuration must be longer than 2 seconds, not {options.LeaseDuration}");
        foreach (var (key, value) in new[] { ("QueuePollInterval", options.QueuePollInterval), ("ProgressInterval", options.ProgressInterval),
                     ("CancellationPollInterval", options.CancellationPollInterval), ("RecoveryInterval", options.RecoveryInterval), ("Retention", options.Retention) })
            if (value <= TimeSpan.Zero) problems.Add($"Jobs:{key} must be positive, not {value}");
        return problems;
    }
}
