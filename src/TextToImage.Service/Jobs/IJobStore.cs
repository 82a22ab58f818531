namespace TextToImage.Service.Jobs;

/// <summary>
/// The durable job records. Every write by a running job names its lease owner and is ignored
/// once another worker has taken the job over, so a worker that lost its claim cannot overwrite
/// the result of the one that holds it.
/// </summary>
public interface IJobStore
{
    /// <summary>
    /// Inserts a queued record unless <paramref name="maxQueued"/> jobs already wait; with an
    /// idempotency key, returns the earlier job for the same key instead (even when the queue is full).
    /// </summary>
    Task<CreateOutcome> CreateAsync(GenerationRecord record, IdempotencyClaim? idempotency, int maxQueued, CancellationToken cancellation);

    Task<GenerationRecord?> GetAsync(string id, CancellationToken cancellation);

    /// <summary>Newest first; <paramref name="before"/> is the last id of the previous page; <paramref name="owner"/>: only that caller's jobs (null: everyone's).</summary>
    Task<IReadOnlyList<GenerationRecord>> ListAsync(GenerationStatus? status, int limit, string? before, string? owner, CancellationToken cancellation);

    Task<int> CountQueuedAsync(CancellationToken cancellation);

    /// <summary>1 for the next job to run; null when the job is not queued.</summary>
    Task<int?> QueuePositionAsync(string id, CancellationToken cancellation);

    /// <summary>Records which Hangfire job now carries the record.</summary>
    Task SetDispatchAsync(string id, string dispatchId, CancellationToken cancellation);

    /// <summary>
    /// Takes the job for <paramref name="lease"/>'s owner if it is queued, or running under an expired
    /// or dead lease, and the dispatch matches; null otherwise (finished, canceled, or held).
    /// </summary>
    Task<GenerationRecord?> TryClaimAsync(string id, string dispatchId, JobLease lease, DateTimeOffset now, CancellationToken cancellation);

    /// <summary>Extends the lease; tells whether it is still held and whether cancellation was asked for.</summary>
    Task<LeaseState> RenewAsync(string id, JobLease lease, CancellationToken cancellation);

    Task<bool> ReportProgressAsync(string id, string owner, JobProgress progress, CancellationToken cancellation);

    Task<bool> AddStageImagesAsync(string id, string owner, StageOutput stage, CancellationToken cancellation);

    /// <summary>Ends the job in a terminal state, if the owner still holds it.</summary>
    Task<bool> CompleteAsync(string id, string owner, JobCompletion completion, CancellationToken cancellation);

    /// <summary>Hands a claimed job back to the queue (shutdown, or a retry after a crash).</summary>
    Task<bool> ReleaseAsync(string id, string owner, CancellationToken cancellation);

    /// <summary>Cancels a queued job at once, or asks a running one to stop.</summary>
    Task<CancelOutcome> RequestCancelAsync(string id, DateTimeOffset now, CancellationToken cancellation);

    /// <summary>
    /// Puts an unattended job back in the queue under a new dispatch: a queued job whose dispatch was
    /// lost, or a running one whose lease ended before <paramref name="leaseEndedBefore"/>. Only if
    /// the record still has the dispatch and lease it had when <paramref name="seen"/>; false when
    /// something else got there first.
    /// </summary>
    Task<bool> RedispatchAsync(GenerationRecord seen, DateTimeOffset leaseEndedBefore, string newDispatchId, CancellationToken cancellation);

    /// <summary>
    /// Removes a job's record unless it is running (a worker holds it), and returns what was removed,
    /// so the caller can delete its blobs; <see cref="DeleteResult.Running"/> or <see cref="DeleteResult.NotFound"/> otherwise.
    /// </summary>
    Task<DeleteOutcome> DeleteAsync(string id, CancellationToken cancellation);

    /// <summary>Up to <paramref name="limit"/> finished (succeeded, failed, canceled) jobs that ended before <paramref name="cutoff"/>, oldest first.</summary>
    Task<IReadOnlyList<GenerationRecord>> ListFinishedBeforeAsync(DateTimeOffset cutoff, int limit, CancellationToken cancellation);

    /// <summary>A cheap query, for readiness.</summary>
    Task PingAsync(CancellationToken cancellation);
}

/// <summary>A worker's claim on a job until <see cref="Until"/>.</summary>
public sealed record JobLease(string Owner, DateTimeOffset Until);

public sealed record LeaseState(bool Held, bool CancelRequested);

/// <summary>The idempotency key of a request (scoped to its caller) and a hash of its body.</summary>
public sealed record IdempotencyClaim(string Key, string RequestHash);

public enum CreateResult
{
    Created,

    /// <summary>The key was used before with the same body: <see cref="CreateOutcome.Record"/> is that job.</summary>
    Existing,

    /// <summary>The key was used before with another body.</summary>
    KeyConflict,

    /// <summary>Too many jobs wait already; nothing was inserted.</summary>
    QueueFull,
}

public sealed record CreateOutcome(CreateResult Result, GenerationRecord Record);

public sealed record JobCompletion(GenerationStatus Status, DateTimeOffset CompletedAt, IReadOnlyList<StoredImage> Images, JobError? Error, JobMetrics? Metrics);

public enum CancelResult
{
    NotFound,

    /// <summary>It was queued and is now canceled.</summary>
    Canceled,

    /// <summary>It is running; the worker will stop it within a step.</summary>
    Requested,

    AlreadyCanceled,

    /// <summary>It succeeded or failed: nothing to cancel.</summary>
    Finished,
}

public sealed record CancelOutcome(CancelResult Result, GenerationRecord? Record);

public enum DeleteResult
{
    Deleted,
    NotFound,

    /// <summary>A worker runs it: cancel it first.</summary>
    Running,
}

public sealed record DeleteOutcome(DeleteResult Result, GenerationRecord? Record);
