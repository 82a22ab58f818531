using System.Data.Common;
using TextToImage.Service.Webhooks;
using static TextToImage.Service.Jobs.JobRows;

namespace TextToImage.Service.Jobs;

/// <summary>A JSON value for a JSON column (null stays SQL NULL); each store says how its database takes one.</summary>
readonly record struct JsonText(string? Json);

/// <summary>
/// One open connection (and, for read-modify-write operations, its transaction) with the request's
/// token: the commands both job stores are made of, and the statements that read the same in both
/// dialects. SQL names parameters <c>@name</c>; the store turns each value into its database's parameter.
/// </summary>
sealed class JobSession(DbConnection connection, DbTransaction? transaction, string table, string deliveries,
    Func<string, object?, DbParameter> parameter, CancellationToken cancellation)
{
    DbCommand Command(string sql, (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.Add(parameter(name, value));
        return command;
    }

    public async Task<int> Execute(string sql, params (string, object?)[] parameters)
    {
        await using var command = Command(sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellation);
    }

    public async Task<object?> Value(string sql, params (string, object?)[] parameters)
    {
        await using var command = Command(sql, parameters);
        return await command.ExecuteScalarAsync(cancellation);
    }

    public async Task<int> Scalar(string sql, params (string, object?)[] parameters) => Convert.ToInt32(await Value(sql, parameters));

    public async Task<IReadOnlyList<GenerationRecord>> All(string sql, params (string, object?)[] parameters)
    {
        await using var command = Command(sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        var records = new List<GenerationRecord>();
        while (await reader.ReadAsync(cancellation)) records.Add(JobRows.Read(reader));
        return records;
    }

    /// <summary>The one record <paramref name="where"/> selects (SQL after WHERE), with its request hash.</summary>
    public async Task<(GenerationRecord? Record, string? RequestHash)> SingleWithHash(string where, (string, object?) parameter)
    {
        await using var command = Command($"SELECT {JobRows.Columns} FROM {table} WHERE {where}", [parameter]);
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        return await reader.ReadAsync(cancellation) ? (JobRows.Read(reader), JobRows.RequestHash(reader)) : (null, null);
    }

    public Task Insert(GenerationRecord record, IdempotencyClaim? idempotency) => Execute($"""
        INSERT INTO {table} (id, status, created_at, parameters, inputs, owner, idempotency_key, request_hash, api_base_url)
        VALUES (@id, @status, @created, @parameters, @inputs, @owner, @key, @hash, @base)
        """,
        ("id", record.Id), ("status", record.Status.Name()), ("created", Millis(record.CreatedAt)),
        ("parameters", new JsonText(Serialize(record.Parameters))), ("inputs", new JsonText(SerializeOrNull(record.Inputs))), ("owner", record.Owner),
        ("key", idempotency?.Key), ("hash", idempotency?.RequestHash), ("base", record.ApiBaseUrl));

    public Task<int> CountQueued() => Scalar($"SELECT COUNT(*) FROM {table} WHERE status = 'queued'");

    /// <summary>1 for the next job to run; null when the job is not queued (or not there).</summary>
    public async Task<int?> QueuePosition(string id)
    {
        var position = await Scalar($"""
            SELECT CASE WHEN (SELECT status FROM {table} WHERE id = @id) = 'queued'
                        THEN (SELECT COUNT(*) FROM {table} WHERE status = 'queued' AND id <= @id) ELSE 0 END
            """, ("id", id));
        return position > 0 ? position : null;
    }

    public Task<int> SetDispatch(string id, string dispatchId) =>
        Execute($"UPDATE {table} SET dispatch_id = @dispatch WHERE id = @id AND dispatch_id IS NULL", ("id", id), ("dispatch", dispatchId));

    public async Task<bool> ReportProgress(string id, string owner, JobProgress progress) =>
        await Execute($"UPDATE {table} SET progress = @value WHERE id = @id AND status = 'running' AND lease_owner = @owner",
            ("id", id), ("owner", owner), ("value", new JsonText(Serialize(progress)))) == 1;

    public async Task<bool> Complete(string id, string owner, JobCompletion completion)
    {
        if (!completion.Status.IsTerminal()) throw new ArgumentException($"'{completion.Status.Name()}' is not a terminal status.", nameof(completion));
        return await Execute($"""
            UPDATE {table}
            SET status = @status, completed_at = @completed, images = @images, error = @error, metrics = @metrics,
                lease_owner = NULL, lease_until = NULL
            WHERE id = @id AND status = 'running' AND lease_owner = @owner
            """,
            ("id", id), ("owner", owner), ("status", completion.Status.Name()), ("completed", Millis(completion.CompletedAt)),
            ("images", new JsonText(Serialize(completion.Images))), ("error", new JsonText(SerializeOrNull(completion.Error))),
            ("metrics", new JsonText(SerializeOrNull(completion.Metrics)))) == 1;
    }

    /// <summary>After a claim: owes the job's first start to its webhook (a later claim's is the same delivery, so nothing more).</summary>
    public async Task<GenerationRecord?> Started(GenerationRecord? claimed, DateTimeOffset now)
    {
        if (claimed is not null) await OweWebhook(claimed, WebhookEvents.Start, WebhookEvents.Start, now);
        return claimed;
    }

    /// <summary>Ends <paramref name="record"/> (read, locked, by the store) if the owner still holds it, owing its final images and its end to its webhook.</summary>
    public async Task<bool> Completed(GenerationRecord? record, string owner, JobCompletion completion)
    {
        if (record is null || !await Complete(record.Id, owner, completion)) return false;
        if (completion.Status == GenerationStatus.Succeeded) await OweWebhook(record, WebhookEvents.Output, "output-final", completion.CompletedAt);
        await OweWebhook(record, WebhookEvents.Completed, WebhookEvents.Completed, completion.CompletedAt);
        return true;
    }

    public async Task<bool> Release(string id, string owner) => await Execute($"""
        UPDATE {table} SET status = 'queued', lease_owner = NULL, lease_until = NULL, progress = NULL
        WHERE id = @id AND status = 'running' AND lease_owner = @owner
        """, ("id", id), ("owner", owner)) == 1;

    public Task<IReadOnlyList<GenerationRecord>> FinishedBefore(DateTimeOffset cutoff, int limit) => All($"""
        SELECT {Columns} FROM {table} WHERE status IN ('succeeded', 'failed', 'canceled') AND completed_at < @cutoff
        ORDER BY completed_at LIMIT @limit
        """, ("cutoff", Millis(cutoff)), ("limit", limit));

    /// <summary>A query that touches the table: the connection works and the schema is there.</summary>
    public Task<int> Ping() => Scalar($"SELECT COUNT(*) FROM {table} WHERE id = ''");

    /// <summary>Removes the job and the webhook deliveries it owed or made.</summary>
    public async Task<bool> Delete(string id)
    {
        await Execute($"DELETE FROM {deliveries} WHERE job_id = @id", ("id", id));
        return await Execute($"DELETE FROM {table} WHERE id = @id", ("id", id)) == 1;
    }

    /// <summary>
    /// Owes <paramref name="record"/>'s webhook the event, if the job asked for one and for this event; the id
    /// (job id, then <paramref name="occurrence"/>) makes a repeat of the same change (a retried job) owe nothing more.
    /// </summary>
    public async Task OweWebhook(GenerationRecord record, string @event, string occurrence, DateTimeOffset now)
    {
        if (record.Parameters.Webhook is not { } url || !(record.Parameters.WebhookEventsFilter ?? WebhookEvents.All).Contains(@event)) return;
        await Execute($"""
            INSERT INTO {deliveries} (id, job_id, event, url, created_at, next_attempt_at) VALUES (@id, @job, @event, @url, @now, @now)
            ON CONFLICT (id) DO NOTHING
            """, ("id", $"{record.Id}.{occurrence}"), ("job", record.Id), ("event", @event), ("url", url), ("now", Millis(now)));
    }

    /// <summary>The deliveries an UPDATE ... RETURNING <see cref="DeliveryColumns"/> (or a SELECT of them) yields.</summary>
    public async Task<IReadOnlyList<WebhookDelivery>> Deliveries(string sql, params (string, object?)[] parameters)
    {
        await using var command = Command(sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        var found = new List<WebhookDelivery>();
        while (await reader.ReadAsync(cancellation))
            found.Add(new WebhookDelivery(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), Convert.ToInt32(reader.GetValue(4)),
                DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(reader.GetValue(5)))));
        return found;
    }

    public const string DeliveryColumns = "id, job_id, event, url, attempts, created_at";

    /// <summary>Deliveries that are due and not held by a live claim, oldest due first (SQL after WHERE).</summary>
    public const string DueDeliveries = "delivered_at IS NULL AND abandoned_at IS NULL AND next_attempt_at <= @now AND (claimed_until IS NULL OR claimed_until < @now)";

    public Task<int> MarkDelivered(string id, DateTimeOffset now) =>
        Execute($"UPDATE {deliveries} SET delivered_at = @now, claimed_until = NULL, last_error = NULL WHERE id = @id", ("id", id), ("now", Millis(now)));

    public Task<int> Reschedule(string id, DateTimeOffset next, string error) =>
        Execute($"UPDATE {deliveries} SET next_attempt_at = @next, claimed_until = NULL, last_error = @error WHERE id = @id",
            ("id", id), ("next", Millis(next)), ("error", error));

    public Task<int> Abandon(string id, DateTimeOffset now, string error) =>
        Execute($"UPDATE {deliveries} SET abandoned_at = @now, claimed_until = NULL, last_error = @error WHERE id = @id",
            ("id", id), ("now", Millis(now)), ("error", error));
}
