namespace TextToImage.Service.Hosting;

/// <summary>The <c>Jobs</c> section: queue, workers, retries, leases.</summary>
public sealed class JobsOptions
{
    public const string Section = "Jobs";

    /// <summary>Hangfire storage: <c>sqlite</c> (the embedded default).</summary>
    public string Storage { get; set; } = "sqlite";

    /// <summary>SQLite file of job records; relative paths are under the data root.</summary>
    public string? Database { get; set; }

    /// <summary>SQLite file of Hangfire's own state; relative paths are under the data root.</summary>
    public string? HangfireDatabase { get; set; }

    public string Queue { get; set; } = "generation";

    /// <summary>Concurrent generations per server; one per device is the sensible setting.</summary>
    public int WorkerCount { get; set; } = 1;

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

    /// <summary>How often the recovery scan looks for jobs orphaned by a crashed worker.</summary>
    public TimeSpan RecoveryInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>What is wrong with these settings, one clause each; empty when they are usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Storage != "sqlite") problems.Add($"Jobs:Storage '{Storage}' is not supported; use 'sqlite'");
        if (string.IsNullOrWhiteSpace(Queue)) problems.Add("Jobs:Queue must name a queue");
        if (WorkerCount < 1) problems.Add($"Jobs:WorkerCount must be at least 1, not {WorkerCount}");
        if (MaxQueueLength < 1) problems.Add($"Jobs:MaxQueueLength must be at least 1, not {MaxQueueLength}");
        if (MaxAttempts is < 1 or > 10) problems.Add($"Jobs:MaxAttempts must be between 1 and 10, not {MaxAttempts}");
        if (LeaseDuration <= TimeSpan.FromSeconds(2)) problems.Add($"Jobs:LeaseDuration must be longer than 2 seconds, not {LeaseDuration}");
        foreach (var (name, value) in new[] { ("QueuePollInterval", QueuePollInterval), ("ProgressInterval", ProgressInterval),
                     ("CancellationPollInterval", CancellationPollInterval), ("RecoveryInterval", RecoveryInterval) })
            if (value <= TimeSpan.Zero) problems.Add($"Jobs:{name} must be positive, not {value}");
        return problems;
    }
}
