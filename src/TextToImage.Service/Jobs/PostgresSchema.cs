using Microsoft.Extensions.Logging;
using Npgsql;

namespace TextToImage.Service.Jobs;

/// <summary>
/// The job store's tables in their own schema, <c>texttoimage</c> (Hangfire keeps its own,
/// <c>hangfire</c>), brought up to date by numbered migrations. Every process runs this at start;
/// a transaction-scoped advisory lock makes the ones that start together take turns, so each
/// migration runs once and a process never sees a half-made table.
/// </summary>
public static class PostgresSchema
{
    public const string Name = "texttoimage";

    /// <summary>Hangfire.PostgreSql's default schema.</summary>
    public const string HangfireSchema = "hangfire";

    /// <summary>"t2i-jobs" in ASCII: the advisory lock of the migrations, shared by every process of one database.</summary>
    const long MigrationLock = 0x7432692D6A6F6273;

    /// <summary>
    /// Append only: a released migration never changes (databases out there have run it); a change
    /// is a new number.
    /// </summary>
    static readonly (int Version, string Description, string Sql)[] Migrations =
    [
        (1, "generations table", $"""
            CREATE TABLE {Name}.generations (
                id text PRIMARY KEY,
                status text NOT NULL,
                created_at bigint NOT NULL,
                started_at bigint,
                completed_at bigint,
                parameters jsonb NOT NULL,
                inputs jsonb,
                progress jsonb,
                images jsonb NOT NULL DEFAULT '[]',
                stage_images jsonb NOT NULL DEFAULT '[]',
                error jsonb,
                metrics jsonb,
                cancel_requested boolean NOT NULL DEFAULT false,
                attempts integer NOT NULL DEFAULT 0,
                dispatch_id text,
                lease_owner text,
                lease_until bigint,
                idempotency_key text UNIQUE,
                request_hash text);
            CREATE INDEX ix_generations_status ON {Name}.generations (status, id);
            """),
        (2, "job owners", $"""
            ALTER TABLE {Name}.generations ADD COLUMN owner text;
            CREATE INDEX ix_generations_owner ON {Name}.generations (owner, id);
            """),
        (3, "webhook deliveries", $"""
            ALTER TABLE {Name}.generations ADD COLUMN api_base_url text;
            CREATE TABLE {Name}.webhook_deliveries (
                id text PRIMARY KEY,
                job_id text NOT NULL,
                event text NOT NULL,
                url text NOT NULL,
                created_at bigint NOT NULL,
                attempts integer NOT NULL DEFAULT 0,
                next_attempt_at bigint NOT NULL,
                claimed_until bigint,
                delivered_at bigint,
                abandoned_at bigint,
                last_error text);
            CREATE INDEX ix_webhook_deliveries_due ON {Name}.webhook_deliveries (next_attempt_at) WHERE delivered_at IS NULL AND abandoned_at IS NULL;
            CREATE INDEX ix_webhook_deliveries_job ON {Name}.webhook_deliveries (job_id);
            """),
    ];

    public static int LatestVersion => Migrations[^1].Version;

    /// <summary>Applies the migrations this database has not had; returns how many ran.</summary>
    public static async Task<int> MigrateAsync(NpgsqlDataSource source, ILogger log, CancellationToken cancellation)
    {
        await using var connection = await source.OpenConnectionAsync(cancellation);
        await using var transaction = await connection.BeginTransactionAsync(cancellation);
        await Execute(connection, transaction, $"SELECT pg_advisory_xact_lock({MigrationLock})", cancellation);
        await Execute(connection, transaction, $"""
            CREATE SCHEMA IF NOT EXISTS {Name};
            CREATE TABLE IF NOT EXISTS {Name}.schema_migrations (
                version integer PRIMARY KEY,
                description text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now());
            """, cancellation);
        int current;
        await using (var read = new NpgsqlCommand($"SELECT COALESCE(MAX(version), 0) FROM {Name}.schema_migrations", connection, transaction))
            current = Convert.ToInt32(await read.ExecuteScalarAsync(cancellation));
        if (current > LatestVersion)
            // A newer version of the service migrated this database (a rolling upgrade in progress):
            // its migrations only add, so this version goes on with the columns it knows.
            log.LogWarning("The job database is at schema version {Current}; this version knows up to {Latest}.", current, LatestVersion);

        var applied = 0;
        foreach (var (version, description, sql) in Migrations.Where(m => m.Version > current))
        {
            await Execute(connection, transaction, sql, cancellation);
            await using var record = new NpgsqlCommand($"INSERT INTO {Name}.schema_migrations (version, description) VALUES (@version, @description)",
                connection, transaction);
            record.Parameters.AddWithValue("version", version);
            record.Parameters.AddWithValue("description", description);
            await record.ExecuteNonQueryAsync(cancellation);
            log.LogInformation("Job database: applied migration {Version} ({Description}).", version, description);
            applied++;
        }
        await transaction.CommitAsync(cancellation);
        return applied;
    }

    /// <summary>
    /// Hangfire's own schema, installed under the same lock: Hangfire.PostgreSql's installer, run by
    /// several processes at once, fails ("could not find tuple for constraint"), so the storage is
    /// configured not to install it itself.
    /// </summary>
    public static async Task InstallHangfireAsync(NpgsqlDataSource source, CancellationToken cancellation)
    {
        await using var connection = await source.OpenConnectionAsync(cancellation);
        // A session lock: the installer runs its own transactions.
        await Execute(connection, null, $"SELECT pg_advisory_lock({MigrationLock})", cancellation);
        try
        {
            Hangfire.PostgreSql.PostgreSqlObjectsInstaller.Install(connection, HangfireSchema);
        }
        finally
        {
            await Execute(connection, null, $"SELECT pg_advisory_unlock({MigrationLock})", CancellationToken.None);
        }
    }

    static async Task Execute(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellation)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellation);
    }
}
