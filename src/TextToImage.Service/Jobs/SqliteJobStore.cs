using System.Data;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace TextToImage.Service.Jobs;

/// <summary>
/// Job records in a SQLite file (WAL, so an API process and a worker process can share it).
/// Read-modify-write operations run in IMMEDIATE transactions; conditional updates carry the
/// lease owner, so a worker that lost its claim changes nothing.
/// </summary>
public sealed class SqliteJobStore : IJobStore
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    const string Columns = "id, status, created_at, started_at, completed_at, parameters, progress, images, stage_images, error, metrics, " +
                           "cancel_requested, attempts, dispatch_id, lease_owner, lease_until, inputs";

    readonly string connectionString;

    public SqliteJobStore(string path)
    {
        SqliteNative.EnsureInitialized();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
        using var connection = Open();
        Execute(connection, null, """
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
            """);
        AddInputsColumn(connection);
    }

    /// <summary>
    /// Files written before edits and upscales existed have no inputs column: add it (NULL for
    /// their rows, which are generations). ADD COLUMN is cheap in SQLite: old rows are not rewritten.
    /// </summary>
    static void AddInputsColumn(SqliteConnection connection)
    {
        if (Scalar(connection, null, "SELECT COUNT(*) FROM pragma_table_info('generations') WHERE name = 'inputs'") == 0)
            Execute(connection, null, "ALTER TABLE generations ADD COLUMN inputs TEXT");
    }

    public Task<CreateOutcome> CreateAsync(GenerationRecord record, IdempotencyClaim? idempotency, int maxQueued, CancellationToken cancellation) =>
        InTransaction((connection, transaction) =>
        {
            if (idempotency is not null)
            {
                var earlier = QuerySingle(connection, transaction, "idempotency_key = $key", ("$key", idempotency.Key), out var hash);
                if (earlier is not null)
                    return new CreateOutcome(hash == idempotency.RequestHash ? CreateResult.Existing : CreateResult.KeyConflict, earlier);
            }
            if (Scalar(connection, transaction, "SELECT COUNT(*) FROM generations WHERE status = 'queued'") >= maxQueued)
                return new CreateOutcome(CreateResult.QueueFull, record);
            Execute(connection, transaction, """
                INSERT INTO generations (id, status, created_at, parameters, inputs, idempotency_key, request_hash)
                VALUES ($id, $status, $created, $parameters, $inputs, $key, $hash)
                """,
                ("$id", record.Id), ("$status", record.Status.Name()), ("$created", Millis(record.CreatedAt)),
                ("$parameters", JsonSerializer.Serialize(record.Parameters, Json)), ("$inputs", SerializeOrNull(record.Inputs)),
                ("$key", idempotency?.Key), ("$hash", idempotency?.RequestHash));
            return new CreateOutcome(CreateResult.Created, record);
        });

    public Task<GenerationRecord?> GetAsync(string id, CancellationToken cancellation)
    {
        using var connection = Open();
        return Task.FromResult(QuerySingle(connection, null, "id = $id", ("$id", id), out _));
    }

    public Task<IReadOnlyList<GenerationRecord>> ListAsync(GenerationStatus? status, int limit, string? before, CancellationToken cancellation)
    {
        using var connection = Open();
        using var command = Command(connection, null,
            $"SELECT {Columns}, request_hash FROM generations WHERE ($status IS NULL OR status = $status) AND ($before IS NULL OR id < $before) ORDER BY id DESC LIMIT $limit",
            ("$status", status?.Name()), ("$before", before), ("$limit", limit));
        return Task.FromResult<IReadOnlyList<GenerationRecord>>(ReadAll(command));
    }

    public Task<int> CountQueuedAsync(CancellationToken cancellation)
    {
        using var connection = Open();
        return Task.FromResult(Scalar(connection, null, "SELECT COUNT(*) FROM generations WHERE status = 'queued'"));
    }

    public Task<int?> QueuePositionAsync(string id, CancellationToken cancellation)
    {
        using var connection = Open();
        var position = Scalar(connection, null, """
            SELECT CASE WHEN (SELECT status FROM generations WHERE id = $id) = 'queued'
                        THEN (SELECT COUNT(*) FROM generations WHERE status = 'queued' AND id <= $id) ELSE 0 END
            """, ("$id", id));
        return Task.FromResult<int?>(position > 0 ? position : null);
    }

    public Task SetDispatchAsync(string id, string dispatchId, CancellationToken cancellation)
    {
        using var connection = Open();
        Execute(connection, null, "UPDATE generations SET dispatch_id = $dispatch WHERE id = $id AND dispatch_id IS NULL",
            ("$id", id), ("$dispatch", dispatchId));
        return Task.CompletedTask;
    }

    public Task<GenerationRecord?> TryClaimAsync(string id, string dispatchId, JobLease lease, DateTimeOffset now, CancellationToken cancellation) =>
        InTransaction((connection, transaction) =>
        {
            var claimed = Execute(connection, transaction, """
                UPDATE generations
                SET status = 'running', lease_owner = $owner, lease_until = $until, attempts = attempts + 1,
                    dispatch_id = $dispatch, started_at = COALESCE(started_at, $now), progress = NULL
                WHERE id = $id AND cancel_requested = 0
                  AND (dispatch_id IS NULL OR dispatch_id = $dispatch)
                  AND (status = 'queued' OR (status = 'running' AND lease_until < $now))
                """,
                ("$id", id), ("$dispatch", dispatchId), ("$owner", lease.Owner), ("$until", Millis(lease.Until)), ("$now", Millis(now)));
            return claimed == 1 ? QuerySingle(connection, transaction, "id = $id", ("$id", id), out _) : null;
        });

    public Task<LeaseState> RenewAsync(string id, JobLease lease, CancellationToken cancellation)
    {
        using var connection = Open();
        using var command = Command(connection, null, """
            UPDATE generations SET lease_until = $until WHERE id = $id AND status = 'running' AND lease_owner = $owner
            RETURNING cancel_requested
            """, ("$id", id), ("$owner", lease.Owner), ("$until", Millis(lease.Until)));
        var cancel = command.ExecuteScalar();
        return Task.FromResult(cancel is null ? new LeaseState(false, false) : new LeaseState(true, Convert.ToInt64(cancel) != 0));
    }

    public Task<bool> ReportProgressAsync(string id, string owner, JobProgress progress, CancellationToken cancellation) =>
        Task.FromResult(UpdateOwned(id, owner, "progress = $value", JsonSerializer.Serialize(progress, Json)));

    public Task<bool> AddStageImagesAsync(string id, string owner, StageOutput stage, CancellationToken cancellation) =>
        InTransaction((connection, transaction) =>
        {
            var record = QuerySingle(connection, transaction, "id = $id", ("$id", id), out _);
            if (record is null || record.Lease?.Owner != owner || record.Status != GenerationStatus.Running) return false;
            // A re-run replaces what an earlier attempt stored for the same stage.
            var stages = record.StageImages.Where(s => s.StageIndex != stage.StageIndex).Append(stage).OrderBy(s => s.StageIndex).ToList();
            Execute(connection, transaction, "UPDATE generations SET stage_images = $value WHERE id = $id",
                ("$id", id), ("$value", JsonSerializer.Serialize(stages, Json)));
            return true;
        });

    public Task<bool> CompleteAsync(string id, string owner, JobCompletion completion, CancellationToken cancellation)
    {
        if (!completion.Status.IsTerminal()) throw new ArgumentException($"'{completion.Status.Name()}' is not a terminal status.", nameof(completion));
        using var connection = Open();
        var changed = Execute(connection, null, """
            UPDATE generations
            SET status = $status, completed_at = $completed, images = $images, error = $error, metrics = $metrics,
                lease_owner = NULL, lease_until = NULL
            WHERE id = $id AND status = 'running' AND lease_owner = $owner
            """,
            ("$id", id), ("$owner", owner), ("$status", completion.Status.Name()), ("$completed", Millis(completion.CompletedAt)),
            ("$images", JsonSerializer.Serialize(completion.Images, Json)), ("$error", SerializeOrNull(completion.Error)),
            ("$metrics", SerializeOrNull(completion.Metrics)));
        return Task.FromResult(changed == 1);
    }

    public Task<bool> ReleaseAsync(string id, string owner, CancellationToken cancellation)
    {
        using var connection = Open();
        var changed = Execute(connection, null, """
            UPDATE generations SET status = 'queued', lease_owner = NULL, lease_until = NULL, progress = NULL
            WHERE id = $id AND status = 'running' AND lease_owner = $owner
            """, ("$id", id), ("$owner", owner));
        return Task.FromResult(changed == 1);
    }

    public Task<CancelOutcome> RequestCancelAsync(string id, DateTimeOffset now, CancellationToken cancellation) =>
        InTransaction((connection, transaction) =>
        {
            var record = QuerySingle(connection, transaction, "id = $id", ("$id", id), out _);
            if (record is null) return new CancelOutcome(CancelResult.NotFound, null);
            switch (record.Status)
            {
                case GenerationStatus.Canceled:
                    return new CancelOutcome(CancelResult.AlreadyCanceled, record);
                case GenerationStatus.Succeeded or GenerationStatus.Failed:
                    return new CancelOutcome(CancelResult.Finished, record);
                case GenerationStatus.Queued:
                    Execute(connection, transaction, "UPDATE generations SET status = 'canceled', cancel_requested = 1, completed_at = $now WHERE id = $id",
                        ("$id", id), ("$now", Millis(now)));
                    return new CancelOutcome(CancelResult.Canceled, record with { Status = GenerationStatus.Canceled, CancelRequested = true, CompletedAt = now });
                default:
                    Execute(connection, transaction, "UPDATE generations SET cancel_requested = 1 WHERE id = $id", ("$id", id));
                    return new CancelOutcome(CancelResult.Requested, record with { CancelRequested = true });
            }
        });

    public Task<bool> RedispatchAsync(GenerationRecord seen, DateTimeOffset leaseEndedBefore, string newDispatchId, CancellationToken cancellation)
    {
        using var connection = Open();
        var changed = Execute(connection, null, """
            UPDATE generations
            SET status = 'queued', dispatch_id = $dispatch, lease_owner = NULL, lease_until = NULL, progress = NULL
            WHERE id = $id AND cancel_requested = 0 AND lease_owner IS $owner AND dispatch_id IS $seenDispatch
              AND (status = 'queued' OR (status = 'running' AND lease_until < $ended))
            """,
            ("$id", seen.Id), ("$owner", seen.Lease?.Owner), ("$seenDispatch", seen.DispatchId), ("$dispatch", newDispatchId),
            ("$ended", leaseEndedBefore == DateTimeOffset.MaxValue ? long.MaxValue : Millis(leaseEndedBefore)));
        return Task.FromResult(changed == 1);
    }

    public Task PingAsync(CancellationToken cancellation)
    {
        using var connection = Open();
        Scalar(connection, null, "SELECT COUNT(*) FROM generations WHERE id = ''");
        return Task.CompletedTask;
    }

    bool UpdateOwned(string id, string owner, string assignment, string value)
    {
        using var connection = Open();
        return Execute(connection, null, $"UPDATE generations SET {assignment} WHERE id = $id AND status = 'running' AND lease_owner = $owner",
            ("$id", id), ("$owner", owner), ("$value", value)) == 1;
    }

    SqliteConnection Open()
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        return connection;
    }

    Task<T> InTransaction<T>(Func<SqliteConnection, SqliteTransaction, T> work)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction(IsolationLevel.Serializable, deferred: false);
        var result = work(connection, transaction);
        transaction.Commit();
        return Task.FromResult(result);
    }

    static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    static int Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string, object?)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        return command.ExecuteNonQuery();
    }

    static int Scalar(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string, object?)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        return Convert.ToInt32(command.ExecuteScalar());
    }

    static GenerationRecord? QuerySingle(SqliteConnection connection, SqliteTransaction? transaction, string where, (string, object?) parameter, out string? requestHash)
    {
        using var command = Command(connection, transaction, $"SELECT {Columns}, request_hash FROM generations WHERE {where}", parameter);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            requestHash = null;
            return null;
        }
        requestHash = reader.IsDBNull(17) ? null : reader.GetString(17);
        return ReadRecord(reader);
    }

    static List<GenerationRecord> ReadAll(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var records = new List<GenerationRecord>();
        while (reader.Read()) records.Add(ReadRecord(reader));
        return records;
    }

    static GenerationRecord ReadRecord(SqliteDataReader reader)
    {
        GenerationStatuses.TryParse(reader.GetString(1), out var status);
        var owner = NullableString(reader, 14);
        return new GenerationRecord
        {
            Id = reader.GetString(0),
            Status = status,
            CreatedAt = FromMillis(reader.GetInt64(2)),
            StartedAt = NullableTime(reader, 3),
            CompletedAt = NullableTime(reader, 4),
            Parameters = Deserialize<GenerationParameters>(reader.GetString(5))!,
            Progress = Deserialize<JobProgress>(NullableString(reader, 6)),
            Images = Deserialize<List<StoredImage>>(reader.GetString(7)) ?? [],
            StageImages = Deserialize<List<StageOutput>>(reader.GetString(8)) ?? [],
            Error = Deserialize<JobError>(NullableString(reader, 9)),
            Metrics = Deserialize<JobMetrics>(NullableString(reader, 10)),
            CancelRequested = reader.GetInt64(11) != 0,
            Attempts = reader.GetInt32(12),
            DispatchId = NullableString(reader, 13),
            Lease = owner is null ? null : new JobLease(owner, FromMillis(reader.GetInt64(15))),
            Inputs = Deserialize<JobInputs>(NullableString(reader, 16)),
        };
    }

    static string? NullableString(SqliteDataReader reader, int column) => reader.IsDBNull(column) ? null : reader.GetString(column);

    static DateTimeOffset? NullableTime(SqliteDataReader reader, int column) => reader.IsDBNull(column) ? null : FromMillis(reader.GetInt64(column));

    static T? Deserialize<T>(string? json) where T : class => json is null ? null : JsonSerializer.Deserialize<T>(json, Json);

    static string? SerializeOrNull<T>(T? value) where T : class => value is null ? null : JsonSerializer.Serialize(value, Json);

    static long Millis(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    static DateTimeOffset FromMillis(long millis) => DateTimeOffset.FromUnixTimeMilliseconds(millis);
}
