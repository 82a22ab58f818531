using System.Data;
using Microsoft.Data.Sqlite;
using TextToImage.Service.Webhooks;
using static TextToImage.Service.Jobs.JobRows;

namespace TextToImage.Service.Jobs;

/// <summary>
/// Job records in a SQLite file (WAL, so an API process and a worker process on one machine can
/// share it). Read-modify-write operations run in IMMEDIATE transactions; conditional updates
/// carry the lease owner, so a worker that lost its claim changes nothing.
/// </summary>
/// <remarks>
/// Microsoft.Data.Sqlite's async methods run synchronously (SQLite has no asynchronous I/O); they
/// are used anyway, with the callers' tokens, so a canceled request stops before its next command.
/// </remarks>
public sealed class SqliteJobStore : IJobStore, IWebhookOutbox
{
    const string Deliveries = "webhook_deliveries";

    readonly string connectionString;

    public SqliteJobStore(string path)
    {
        SqliteNative.EnsureInitialized();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var create = connection.CreateCommand();
        create.CommandText = """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS generations (
                id TEXT PRIMARY KEY,
                status TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                started_at INTEGER,
                completed_at INTEGER,
                parameters TEXT NOT NULL,
                progress TEXT,
                images TEXT NOT NULL DEFAULT '[]',
                stage_images TEXT NOT NULL DEFAULT '[]',
                error TEXT,
                metrics TEXT,
                cancel_requested INTEGER NOT NULL DEFAULT 0,
                attempts INTEGER NOT NULL DEFAULT 0,
                dispatch_id TEXT,
                lease_owner TEXT,
                lease_until INTEGER,
                idempotency_key TEXT UNIQUE,
                request_hash TEXT);
            CREATE INDEX IF NOT EXISTS ix_generations_status ON generations (status, id);
            CREATE TABLE IF NOT EXISTS webhook_deliveries (
                id TEXT PRIMARY KEY,
                job_id TEXT NOT NULL,
                event TEXT NOT NULL,
                url TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at INTEGER NOT NULL,
                claimed_until INTEGER,
                delivered_at INTEGER,
                abandoned_at INTEGER,
                last_error TEXT);
            CREATE INDEX IF NOT EXISTS ix_webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE delivered_at IS NULL AND abandoned_at IS NULL;
            CREATE INDEX IF NOT EXISTS ix_webhook_deliveries_job ON webhook_deliveries (job_id);
            """;
        create.ExecuteNonQuery();
        AddColumnIfMissing(connection, "inputs");
        AddColumnIfMissing(connection, "owner");
        AddColumnIfMissing(connection, "api_base_url");
    }

    /// <summary>
    /// Files written before edits and upscales (inputs), job owners or webhooks (api_base_url) existed lack that column: add it
    /// (NULL for their rows: generations, owned by nobody). ADD COLUMN is cheap in SQLite: old rows are
    /// not rewritten.
    /// </summary>
    static void AddColumnIfMissing(SqliteConnection connection, string column)
    {
        using var check = connection.CreateCommand();
        check.CommandText = $"SELECT COUNT(*) FROM pragma_table_info('generations') WHERE name = '{column}'";
        if (Convert.ToInt64(check.ExecuteScalar()) > 0) return;
        using var alter = connection.CreateCommand();
        alter.CommandText = $"ALTER TABLE generations ADD COLUMN {column} TEXT";
        alter.ExecuteNonQuery();
    }

    public Task<CreateOutcome> CreateAsync(GenerationRecord record, IdempotencyClaim? idempotency, int maxQueued, CancellationToken cancellation) =>
        InTransaction(async db =>
        {
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

    public Task<IReadOnlyList<GenerationRecord>> ListAsync(GenerationStatus? status, int limit, string? before, string? owner, CancellationToken cancellation) =>
        Connected(db => db.All(
            $"SELECT {Columns} FROM generations WHERE (@status IS NULL OR status = @status) AND (@before IS NULL OR id < @before) " +
            "AND (@owner IS NULL OR owner = @owner) ORDER BY id DESC LIMIT @limit",
            ("status", status?.Name()), ("before", before), ("owner", owner), ("limit", limit)), cancellation);

    public Task<int> CountQueuedAsync(CancellationToken cancellation) =>
        Connected(db => db.CountQueued(), cancellation);

    public Task<int?> QueuePositionAsync(string id, CancellationToken cancellation) => Connected(db => db.QueuePosition(id), cancellation);

    public Task SetDispatchAsync(string id, string dispatchId, CancellationToken cancellation) => Connected(db => db.SetDispatch(id, dispatchId), cancellation);

    public Task<GenerationRecord?> TryClaimAsync(string id, string dispatchId, JobLease lease, DateTimeOffset now, CancellationToken cancellation) =>
        InTransaction(async db => await db.Started((await db.All($"""
            UPDATE generations
            SET status = 'running', lease_owner = @owner, lease_until = @until, attempts = attempts + 1,
                dispatch_id = @dispatch, started_at = COALESCE(started_at, @now), progress = NULL
            WHERE id = @id AND cancel_requested = 0
              AND (dispatch_id IS NULL OR dispatch_id = @dispatch)
              AND (status = 'queued' OR (status = 'running' AND lease_until < @now))
            RETURNING {Columns}
            """,
            ("id", id), ("dispatch", dispatchId), ("owner", lease.Owner), ("until", Millis(lease.Until)), ("now", Millis(now)))).SingleOrDefault(), now),
            cancellation);

    public Task<LeaseState> RenewAsync(string id, JobLease lease, CancellationToken cancellation) =>
        Connected(async db =>
        {
            var cancel = await db.Value("""
                UPDATE generations SET lease_until = @until WHERE id = @id AND status = 'running' AND lease_owner = @owner
                RETURNING cancel_requested
                """, ("id", id), ("owner", lease.Owner), ("until", Millis(lease.Until)));
            return cancel is null ? new LeaseState(false, false) : new LeaseState(true, Convert.ToInt64(cancel) != 0);
        }, cancellation);

    public Task<bool> ReportProgressAsync(string id, string owner, JobProgress progress, CancellationToken cancellation) =>
        Connected(db => db.ReportProgress(id, owner, progress), cancellation);

    public Task<bool> AddStageImagesAsync(string id, string owner, StageOutput stage, CancellationToken cancellation) =>
        InTransaction(async db =>
        {
            var (record, _) = await db.SingleWithHash("id = @id", ("id", id));
            if (record is null || record.Lease?.Owner != owner || record.Status != GenerationStatus.Running) return false;
            await db.Execute("UPDATE generations SET stage_images = @value WHERE id = @id",
                ("id", id), ("value", new JsonText(Serialize(JobStoreRules.WithStage(record.StageImages, stage)))));
            await db.OweWebhook(record, WebhookEvents.Output, $"output-{stage.StageIndex}", DateTimeOffset.UtcNow);
            return true;
        }, cancellation);

    public Task<bool> CompleteAsync(string id, string owner, JobCompletion completion, CancellationToken cancellation) =>
        InTransaction(async db => await db.Completed((await db.SingleWithHash("id = @id", ("id", id))).Record, owner, completion), cancellation);

    public Task<bool> ReleaseAsync(string id, string owner, CancellationToken cancellation) => Connected(db => db.Release(id, owner), cancellation);

    public Task<CancelOutcome> RequestCancelAsync(string id, DateTimeOffset now, CancellationToken cancellation) =>
        InTransaction(async db =>
        {
            var (record, _) = await db.SingleWithHash("id = @id", ("id", id));
            var outcome = JobStoreRules.Cancel(record, now);
            if (outcome.Result is CancelResult.Canceled)
            {
                await db.Execute("UPDATE generations SET status = 'canceled', cancel_requested = 1, completed_at = @now WHERE id = @id",
                    ("id", id), ("now", Millis(now)));
                await db.OweWebhook(record!, WebhookEvents.Completed, WebhookEvents.Completed, now);
            }
            else if (outcome.Result is CancelResult.Requested)
                await db.Execute("UPDATE generations SET cancel_requested = 1 WHERE id = @id", ("id", id));
            return outcome;
        }, cancellation);

    public Task<bool> RedispatchAsync(GenerationRecord seen, DateTimeOffset leaseEndedBefore, string newDispatchId, CancellationToken cancellation) =>
        Connected(async db => await db.Execute("""
            UPDATE generations
            SET status = 'queued', dispatch_id = @dispatch, lease_owner = NULL, lease_until = NULL, progress = NULL
            WHERE id = @id AND cancel_requested = 0 AND lease_owner IS @owner AND dispatch_id IS @seenDispatch
              AND (status = 'queued' OR (status = 'running' AND lease_until < @ended))
            """,
            ("id", seen.Id), ("owner", seen.Lease?.Owner), ("seenDispatch", seen.DispatchId), ("dispatch", newDispatchId),
            ("ended", BoundMillis(leaseEndedBefore))) == 1, cancellation);

    public Task<DeleteOutcome> DeleteAsync(string id, CancellationToken cancellation) =>
        InTransaction(async db =>
        {
            var (record, _) = await db.SingleWithHash("id = @id", ("id", id));
            var outcome = JobStoreRules.Delete(record);
            if (outcome.Result is DeleteResult.Deleted) await db.Delete(id);
            return outcome;
        }, cancellation);

    public Task<IReadOnlyList<GenerationRecord>> ListFinishedBeforeAsync(DateTimeOffset cutoff, int limit, CancellationToken cancellation) =>
        Connected(db => db.FinishedBefore(cutoff, limit), cancellation);

    public Task PingAsync(CancellationToken cancellation) => Connected(db => db.Ping(), cancellation);

    public Task<IReadOnlyList<WebhookDelivery>> ClaimDueAsync(DateTimeOffset now, DateTimeOffset claimUntil, int limit, CancellationToken cancellation) =>
        InTransaction(db => db.Deliveries($"""
            UPDATE {Deliveries} SET claimed_until = @until, attempts = attempts + 1
            WHERE id IN (SELECT id FROM {Deliveries} WHERE {JobSession.DueDeliveries} ORDER BY next_attempt_at LIMIT @limit)
            RETURNING {JobSession.DeliveryColumns}
            """, ("now", Millis(now)), ("until", Millis(claimUntil)), ("limit", limit)), cancellation);

    public Task MarkDeliveredAsync(string id, DateTimeOffset now, CancellationToken cancellation) => Connected(db => db.MarkDelivered(id, now), cancellation);

    public Task RescheduleAsync(string id, DateTimeOffset nextAttempt, string error, CancellationToken cancellation) =>
        Connected(db => db.Reschedule(id, nextAttempt, error), cancellation);

    public Task AbandonAsync(string id, DateTimeOffset now, string error, CancellationToken cancellation) => Connected(db => db.Abandon(id, now, error), cancellation);

    async Task<T> Connected<T>(Func<JobSession, Task<T>> work, CancellationToken cancellation)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellation);
        return await work(new JobSession(connection, null, "generations", Deliveries, Parameter, cancellation));
    }

    async Task<T> InTransaction<T>(Func<JobSession, Task<T>> work, CancellationToken cancellation)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellation);
        // IMMEDIATE (deferred: false): the write lock is taken at BEGIN, so a read-then-write cannot be overtaken.
        await using var transaction = connection.BeginTransaction(IsolationLevel.Serializable, deferred: false);
        var result = await work(new JobSession(connection, transaction, "generations", Deliveries, Parameter, cancellation));
        await transaction.CommitAsync(cancellation);
        return result;
    }

    static SqliteParameter Parameter(string name, object? value) =>
        new(name, value switch { JsonText json => json.Json, _ => value } ?? DBNull.Value);
}
