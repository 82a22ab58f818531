using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using TextToImage.Service.Webhooks;
using static TextToImage.Service.Jobs.JobRows;

namespace TextToImage.Service.Jobs;

/// <summary>
/// Job records in PostgreSQL, shared by every API and worker process of a fleet. Claims, renewals
/// and owner-conditional writes are single UPDATE statements (the row lock makes them atomic under
/// READ COMMITTED); read-modify-write operations lock the row first (SELECT ... FOR UPDATE).
/// The schema is migrated on first use, and again after a failure, so a database that is down
/// when the process starts is picked up once it is back.
/// </summary>
public sealed class PostgresJobStore : IJobStore, IWebhookOutbox, IAsyncDisposable
{
    const string Table = PostgresSchema.Name + ".generations";
    const string Deliveries = PostgresSchema.Name + ".webhook_deliveries";

    /// <summary>"t2i-crea" in ASCII: serialises submissions, so the queue-length check and the insert cannot interleave.</summary>
    const long CreateLock = 0x7432692D63726561;

    readonly NpgsqlDataSource source;
    readonly ILogger log;
    readonly object schemaGate = new();
    Task? schema;

    public PostgresJobStore(string connectionString, ILogger<PostgresJobStore> log)
    {
        source = NpgsqlDataSource.Create(connectionString);
        this.log = log;
    }

    /// <summary>Where the records are, without credentials, for log lines and health reports.</summary>
    public string Describe()
    {
        var settings = new NpgsqlConnectionStringBuilder(source.ConnectionString);
        return $"PostgreSQL {settings.Host}:{settings.Port}/{settings.Database}";
    }

    /// <summary>
    /// Migrates our schema and installs Hangfire's, once per process; a failed attempt is forgotten,
    /// so the next call tries again.
    /// </summary>
    public Task EnsureSchemaAsync(CancellationToken cancellation)
    {
        lock (schemaGate)
        {
            if (schema is null || schema.IsFaulted || schema.IsCanceled)
                schema = PrepareAsync();
            return schema.WaitAsync(cancellation);
        }
    }

    async Task PrepareAsync()
    {
        await PostgresSchema.MigrateAsync(source, log, CancellationToken.None);
        await PostgresSchema.InstallHangfireAsync(source, CancellationToken.None);
    }

    public Task<CreateOutcome> CreateAsync(GenerationRecord record, IdempotencyClaim? idempotency, int maxQueued, CancellationToken cancellation) =>
        InTransaction(async db =>
        {
            await db.Execute($"SELECT pg_advisory_xact_lock({CreateLock})");
            if (idempotency is not null)
            {
                var (earlier, hash) = await db.SingleWithHash("idempotency_key = @key", ("key", idempotency.Key));
                if (earlier is not null)
                    return new CreateOutcome(hash == idempotency.RequestHash ? CreateResult.Existing : CreateResult.KeyConflict, earlier);
            }
            if (await db.CountQueued() >= maxQueued)
                return new CreateOutcome(CreateResult.QueueFull, record);
            await db.Insert(record, idempotency);
            return new CreateOutcome(CreateResult.Created, record);
        }, cancellation);

    public Task<GenerationRecord?> GetAsync(string id, CancellationToken cancellation) =>
        Connected(async db => (await db.SingleWithHash("id = @id", ("id", id))).Record, cancellation);

    public Task<IReadOnlyList<GenerationRecord>> ListAsync(GenerationStatus? status, int limit, string? before, string? owner, CancellationToken cancellation)
    {
        var where = new List<string>();
        if (status is not null) where.Add("status = @status");
        if (before is not null) where.Add("id < @before");
        if (owner is not null) where.Add("owner = @owner");
        var filter = where.Count == 0 ? "" : "WHERE " + string.Join(" AND ", where);
        return Connected(db => db.All($"SELECT {Columns} FROM {Table} {filter} ORDER BY id DESC LIMIT @limit",
            ("status", status?.Name()), ("before", before), ("owner", owner), ("limit", limit)), cancellation);
    }

    public Task<int> CountQueuedAsync(CancellationToken cancellation) =>
        Connected(db => db.CountQueued(), cancellation);

    public Task<int?> QueuePositionAsync(string id, CancellationToken cancellation) => Connected(db => db.QueuePosition(id), cancellation);

    public Task SetDispatchAsync(string id, string dispatchId, CancellationToken cancellation) => Connected(db => db.SetDispatch(id, dispatchId), cancellation);

    public Task<GenerationRecord?> TryClaimAsync(string id, string dispatchId, JobLease lease, DateTimeOffset now, CancellationToken cancellation) =>
        InTransaction(async db => await db.Started((await db.All($"""
            UPDATE {Table}
            SET status = 'running', lease_owner = @owner, lease_until = @until, attempts = attempts + 1,
                dispatch_id = @dispatch, started_at = COALESCE(started_at, @now), progress = NULL
            WHERE id = @id AND NOT cancel_requested
              AND (dispatch_id IS NULL OR dispatch_id = @dispatch)
              AND (status = 'queued' OR (status = 'running' AND lease_until < @now))
            RETURNING {Columns}
            """,
            ("id", id), ("dispatch", dispatchId), ("owner", lease.Owner), ("until", Millis(lease.Until)), ("now", Millis(now)))).SingleOrDefault(), now),
            cancellation);

    public Task<LeaseState> RenewAsync(string id, JobLease lease, CancellationToken cancellation) =>
        Connected(async db =>
        {
            var cancel = await db.Value($"""
                UPDATE {Table} SET lease_until = @until WHERE id = @id AND status = 'running' AND lease_owner = @owner
                RETURNING cancel_requested
                """, ("id", id), ("owner", lease.Owner), ("until", Millis(lease.Until)));
            return cancel is null ? new LeaseState(false, false) : new LeaseState(true, (bool)cancel);
        }, cancellation);

    public Task<bool> ReportProgressAsync(string id, string owner, JobProgress progress, CancellationToken cancellation) =>
        Connected(db => db.ReportProgress(id, owner, progress), cancellation);

    public Task<bool> AddStageImagesAsync(string id, string owner, StageOutput stage, CancellationToken cancellation) =>
        InTransaction(async db =>
        {
            var (record, _) = await db.SingleWithHash("id = @id FOR UPDATE", ("id", id));
            if (record is null || record.Lease?.Owner != owner || record.Status != GenerationStatus.Running) return false;
            await db.Execute($"UPDATE {Table} SET stage_images = @value WHERE id = @id",
                ("id", id), ("value", new JsonText(Serialize(JobStoreRules.WithStage(record.StageImages, stage)))));
            await db.OweWebhook(record, WebhookEvents.Output, $"output-{stage.StageIndex}", DateTimeOffset.UtcNow);
            return true;
        }, cancellation);

    public Task<bool> CompleteAsync(string id, string owner, JobCompletion completion, CancellationToken cancellation) =>
        InTransaction(async db => await db.Completed((await db.SingleWithHash("id = @id FOR UPDATE", ("id", id))).Record, owner, completion), cancellation);

    public Task<bool> ReleaseAsync(string id, string owner, CancellationToken cancellation) => Connected(db => db.Release(id, owner), cancellation);

    public Task<CancelOutcome> RequestCancelAsync(string id, DateTimeOffset now, CancellationToken cancellation) =>
        InTransaction(async db =>
        {
            var (record, _) = await db.SingleWithHash("id = @id FOR UPDATE", ("id", id));
            var outcome = JobStoreRules.Cancel(record, now);
            if (outcome.Result is CancelResult.Canceled)
            {
                await db.Execute($"UPDATE {Table} SET status = 'canceled', cancel_requested = true, completed_at = @now WHERE id = @id",
                    ("id", id), ("now", Millis(now)));
                await db.OweWebhook(record!, WebhookEvents.Completed, WebhookEvents.Completed, now);
            }
            else if (outcome.Result is CancelResult.Requested)
                await db.Execute($"UPDATE {Table} SET cancel_requested = true WHERE id = @id", ("id", id));
            return outcome;
        }, cancellation);

    public Task<bool> RedispatchAsync(GenerationRecord seen, DateTimeOffset leaseEndedBefore, string newDispatchId, CancellationToken cancellation) =>
        Connected(async db => await db.Execute($"""
            UPDATE {Table}
            SET status = 'queued', dispatch_id = @dispatch, lease_owner = NULL, lease_until = NULL, progress = NULL
            WHERE id = @id AND NOT cancel_requested
              AND lease_owner IS NOT DISTINCT FROM @owner AND dispatch_id IS NOT DISTINCT FROM @seenDispatch
              AND (status = 'queued' OR (status = 'running' AND lease_until < @ended))
            """,
            ("id", seen.Id), ("owner", seen.Lease?.Owner), ("seenDispatch", seen.DispatchId), ("dispatch", newDispatchId),
            ("ended", BoundMillis(leaseEndedBefore))) == 1, cancellation);

    public Task<DeleteOutcome> DeleteAsync(string id, CancellationToken cancellation) =>
        InTransaction(async db =>
        {
            var (record, _) = await db.SingleWithHash("id = @id FOR UPDATE", ("id", id));
            var outcome = JobStoreRules.Delete(record);
            if (outcome.Result is DeleteResult.Deleted) await db.Delete(id);
            return outcome;
        }, cancellation);

    public Task<IReadOnlyList<GenerationRecord>> ListFinishedBeforeAsync(DateTimeOffset cutoff, int limit, CancellationToken cancellation) =>
        Connected(db => db.FinishedBefore(cutoff, limit), cancellation);

    public Task PingAsync(CancellationToken cancellation) => Connected(db => db.Ping(), cancellation);

    // SKIP LOCKED: senders in several API processes take different deliveries instead of waiting on each other's rows.
    public Task<IReadOnlyList<WebhookDelivery>> ClaimDueAsync(DateTimeOffset now, DateTimeOffset claimUntil, int limit, CancellationToken cancellation) =>
        InTransaction(db => db.Deliveries($"""
            UPDATE {Deliveries} SET claimed_until = @until, attempts = attempts + 1
            WHERE id IN (SELECT id FROM {Deliveries} WHERE {JobSession.DueDeliveries} ORDER BY next_attempt_at LIMIT @limit FOR UPDATE SKIP LOCKED)
            RETURNING {JobSession.DeliveryColumns}
            """, ("now", Millis(now)), ("until", Millis(claimUntil)), ("limit", limit)), cancellation);

    public Task MarkDeliveredAsync(string id, DateTimeOffset now, CancellationToken cancellation) => Connected(db => db.MarkDelivered(id, now), cancellation);

    public Task RescheduleAsync(string id, DateTimeOffset nextAttempt, string error, CancellationToken cancellation) =>
        Connected(db => db.Reschedule(id, nextAttempt, error), cancellation);

    public Task AbandonAsync(string id, DateTimeOffset now, string error, CancellationToken cancellation) => Connected(db => db.Abandon(id, now, error), cancellation);

    async Task<T> Connected<T>(Func<JobSession, Task<T>> work, CancellationToken cancellation)
    {
        await EnsureSchemaAsync(cancellation);
        await using var connection = await source.OpenConnectionAsync(cancellation);
        return await work(new JobSession(connection, null, Table, Deliveries, Parameter, cancellation));
    }

    async Task<T> InTransaction<T>(Func<JobSession, Task<T>> work, CancellationToken cancellation)
    {
        await EnsureSchemaAsync(cancellation);
        await using var connection = await source.OpenConnectionAsync(cancellation);
        await using var transaction = await connection.BeginTransactionAsync(cancellation);
        var result = await work(new JobSession(connection, transaction, Table, Deliveries, Parameter, cancellation));
        await transaction.CommitAsync(cancellation);
        return result;
    }

    public ValueTask DisposeAsync() => source.DisposeAsync();

    static NpgsqlParameter Parameter(string name, object? value) => value switch
    {
        JsonText json => new NpgsqlParameter(name, NpgsqlDbType.Jsonb) { Value = (object?)json.Json ?? DBNull.Value },
        null => new NpgsqlParameter(name, NpgsqlDbType.Text) { Value = DBNull.Value },
        _ => new NpgsqlParameter(name, value),
    };
}
