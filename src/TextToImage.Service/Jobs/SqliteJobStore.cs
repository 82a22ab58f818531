using System.Data;
using Microsoft.Data.Sqlite;
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
public sealed class SqliteJobStore : IJobStore
{
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
            """;
        create.ExecuteNonQuery();
        AddColumnIfMissing(connection, "inputs");
        AddColumnIfMissing(connection, "owner");
    }

    /// <summary>
    /// Files written before edits and upscales (inputs) or job owners existed lack that column: add it
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
            if (await db.Scalar("SELECT COUNT(*) FROM generations WHERE status = 'queued'") >= maxQueued)
                return new CreateOutcome(CreateResult.QueueFull, record);
            await db.Execute("""
                INSERT INTO generations (id, status, created_at, parameters, inputs, owner, idempotency_key, request_hash)
                VALUES (@id, @status, @created, @parameters, @inputs, @owner, @key, @hash)
                """,
                ("id", record.Id), ("status", record.Status.Name()), ("created", Millis(record.CreatedAt)),
                ("parameters", new JsonText(Serialize(record.Parameters))), ("inputs", new JsonText(SerializeOrNull(record.Inputs))), ("owner", record.Owner),
                ("key", idempotency?.Key), ("hash", idempotency?.RequestHash));
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
        Connected(db => db.Scalar("SELECT COUNT(*) FROM generations WHERE status = 'queued'"), cancellation);

    public Task<int?> QueuePositionAsync(string id, CancellationToken cancellation) =>
        Connected(async db =>
        {
            var position = await db.Scalar("""
                SELECT CASE WHEN (SELECT status FROM generations WHERE id = @id) = 'queued'
                            THEN (SELECT COUNT(*) FROM generations WHERE status = 'queued' AND id <= @id) ELSE 0 END
                """, ("id", id));
            return position > 0 ? position : (int?)null;
        }, cancellation);

    public Task SetDispatchAsync(string id, string dispatchId, CancellationToken cancellation) =>
        Connected(db => db.Execute("UPDATE generations SET dispatch_id = @dispatch WHERE id = @id AND dispatch_id IS NULL",
            ("id", id), ("dispatch", dispatchId)), cancellation);

    public Task<GenerationRecord?> TryClaimAsync(string id, string dispatchId, JobLease lease, DateTimeOffset now, CancellationToken cancellation) =>
        Connected(async db => (await db.All($"""
            UPDATE generations
            SET status = 'running', lease_owner = @owner, lease_until = @until, attempts = attempts + 1,
                dispatch_id = @dispatch, started_at = COALESCE(started_at, @now), progress = NULL
            WHERE id = @id AND cancel_requested = 0
              AND (dispatch_id IS NULL OR dispatch_id = @dispatch)
              AND (status = 'queued' OR (status = 'running' AND lease_until < @now))
            RETURNING {Columns}
            """,
            ("id", id), ("dispatch", dispatchId), ("owner", lease.Owner), ("until", Millis(lease.Until)), ("now", Millis(now)))).SingleOrDefault(),
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
        Connected(async db => await db.Execute("UPDATE generations SET progress = @value WHERE id = @id AND status = 'running' AND lease_owner = @owner",
            ("id", id), ("owner", owner), ("value", new JsonText(Serialize(progress)))) == 1, cancellation);

    public Task<bool> AddStageImagesAsync(string id, string owner, StageOutput stage, CancellationToken cancellation) =>
        InTransaction(async db =>
        {
            var (record, _) = await db.SingleWithHash("id = @id", ("id", id));
            if (record is null || record.Lease?.Owner != owner || record.Status != GenerationStatus.Running) return false;
            await db.Execute("UPDATE generations SET stage_images = @value WHERE id = @id",
                ("id", id), ("value", new JsonText(Serialize(JobStoreRules.WithStage(record.StageImages, stage)))));
            return true;
        }, cancellation);

    public Task<bool> CompleteAsync(string id, string owner, JobCompletion completion, CancellationToken cancellation)
    {
        if (!completion.Status.IsTerminal()) throw new ArgumentException($"'{completion.Status.Name()}' is not a terminal status.", nameof(completion));
        return Connected(async db => await db.Execute("""
            UPDATE generations
            SET status = @status, completed_at = @completed, images = @images, error = @error, metrics = @metrics,
                lease_owner = NULL, lease_until = NULL
            WHERE id = @id AND status = 'running' AND lease_owner = @owner
            """,
            ("id", id), ("owner", owner), ("status", completion.Status.Name()), ("completed", Millis(completion.CompletedAt)),
            ("images", new JsonText(Serialize(completion.Images))), ("error", new JsonText(SerializeOrNull(completion.Error))),
            ("metrics", new JsonText(SerializeOrNull(completion.Metrics)))) == 1, cancellation);
    }

    public Task<bool> ReleaseAsync(string id, string owner, CancellationToken cancellation) =>
        Connected(async db => await db.Execute("""
            UPDATE generations SET status = 'queued', lease_owner = NULL, lease_until = NULL, progress = NULL
            WHERE id = @id AND status = 'running' AND lease_owner = @owner
            """, ("id", id), ("owner", owner)) == 1, cancellation);

    public Task<CancelOutcome> RequestCancelAsync(string id, DateTimeOffset now, CancellationToken cancellation) =>
        InTransaction(async db =>
        {
            var (record, _) = await db.SingleWithHash("id = @id", ("id", id));
            var outcome = JobStoreRules.Cancel(record, now);
            if (outcome.Result is CancelResult.Canceled)
                await db.Execute("UPDATE generations SET status = 'canceled', cancel_requested = 1, completed_at = @now WHERE id = @id",
                    ("id", id), ("now", Millis(now)));
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
            if (outcome.Result is DeleteResult.Deleted) await db.Execute("DELETE FROM generations WHERE id = @id", ("id", id));
            return outcome;
        }, cancellation);

    public Task<IReadOnlyList<GenerationRecord>> ListFinishedBeforeAsync(DateTimeOffset cutoff, int limit, CancellationToken cancellation) =>
        Connected(db => db.All($"""
            SELECT {Columns} FROM generations WHERE status IN ('succeeded', 'failed', 'canceled') AND completed_at < @cutoff
            ORDER BY completed_at LIMIT @limit
            """, ("cutoff", Millis(cutoff)), ("limit", limit)), cancellation);

    public Task PingAsync(CancellationToken cancellation) =>
        Connected(db => db.Scalar("SELECT COUNT(*) FROM generations WHERE id = ''"), cancellation);

    async Task<T> Connected<T>(Func<JobSession, Task<T>> work, CancellationToken cancellation)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellation);
        return await work(new JobSession(connection, null, "generations", Parameter, cancellation));
    }

    async Task<T> InTransaction<T>(Func<JobSession, Task<T>> work, CancellationToken cancellation)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellation);
        // IMMEDIATE (deferred: false): the write lock is taken at BEGIN, so a read-then-write cannot be overtaken.
        await using var transaction = connection.BeginTransaction(IsolationLevel.Serializable, deferred: false);
        var result = await work(new JobSession(connection, transaction, "generations", Parameter, cancellation));
        await transaction.CommitAsync(cancellation);
        return result;
    }

    static SqliteParameter Parameter(string name, object? value) =>
        new(name, value switch { JsonText json => json.Json, _ => value } ?? DBNull.Value);
}
