namespace TextToImage.Service.Hosting;

/// <summary>The <c>Jobs</c> section: queue, workers, retries, leases.</summary>
public sealed class JobsOptions
{
    public const string Section = "Jobs";

    /// <summary>The name under <c>ConnectionStrings</c> of the PostgreSQL database (<c>ConnectionStrings:Jobs</c>).</summary>
    public const string ConnectionStringName = "Jobs";

    /// <summary>
    /// Where Hangfire's queue and our job records live: <c>sqlite</c> (files on this machine, the
    /// embedded default) or <c>postgresql</c> (one database for a fleet, at <c>ConnectionStrings:Jobs</c>).
    /// </summary>
    public JobStoreEngine Storage { get; set; } = JobStoreEngine.Sqlite;

    /// <summary>SQLite file of job records; relative paths are under the data root.</summary>
    public string? Database { get; set; }

    /// <summary>SQLite file of Hangfire's own state; relative paths are under the data root.</summary>
    public string? HangfireDatabase { get; set; }

    public string Queue { get; set; } = "generation";

    /// <summary>
    /// Images a process may run through the network in one batch. Above 1, text-to-image jobs that waited for
    /// the device together (same model, resolution, sampler and steps; guidance, prompts and seeds may differ)
    /// run as one batch of up to this many images, each keeping its progress, cancel and outputs. The process
    /// then claims up to this many jobs at once (Hangfire workers), the rest waiting for the device. 1 (the
    /// default) runs one job at a time.
    /// </summary>
    public int MaxBatchImages { get; set; } = 1;

    /// <summary>Whether the API process also runs the generation worker (the embedded default).</summary>
    public bool InProcessWorker { get; set; } = true;

    /// <summary>Jobs waiting beyond this many are refused with 429.</summary>
    public int MaxQueueLength { get; set; } = 100;

    /// <summary>Runs of one job after crashes or unexpected errors before it is marked failed.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>How often an idle worker asks the queue for work.</summary>
    public TimeSpan QueuePollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How long a running job's claim lasts without a heartbeat before another worker may take it.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a running job checks for cancellation requested by another process.</summary>
    public TimeSpan CancellationPollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Least time between two progress writes of one job.</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long finished jobs (and their images and uploads) are kept; an hourly sweep deletes older ones.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often the recovery scan looks for jobs orphaned by a crashed worker.</summary>
    public TimeSpan RecoveryInterval { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>The databases <see cref="JobsOptions.Storage"/> can name.</summary>
public enum JobStoreEngine
{
    Sqlite,
    Postgresql,
}
