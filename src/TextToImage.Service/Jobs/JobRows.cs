using System.Data.Common;
using System.Text.Json;

namespace TextToImage.Service.Jobs;

/// <summary>
/// The <c>generations</c> row as both job stores keep it: times as Unix milliseconds, structured
/// fields as JSON text. Columns are read by name, so a migration that adds or reorders columns
/// cannot shift a value into the wrong field.
/// </summary>
static class JobRows
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The columns <see cref="Read"/> needs, for SELECT lists.</summary>
    public const string Columns = "id, status, created_at, started_at, completed_at, parameters, inputs, progress, images, stage_images, " +
                                  "error, metrics, cancel_requested, attempts, dispatch_id, lease_owner, lease_until, request_hash, owner, api_base_url";

    public static GenerationRecord Read(DbDataReader reader)
    {
        var id = reader.GetString(reader.GetOrdinal("id"));
        var statusText = reader.GetString(reader.GetOrdinal("status"));
        // A status this version does not know (written by a newer one, or by hand) must not pass for 'queued'.
        if (!GenerationStatuses.TryParse(statusText, out var status))
            throw new InvalidDataException($"Generation {id} has the status '{statusText}', which this version does not know.");
        var owner = String(reader, "lease_owner");
        return new GenerationRecord
        {
            Id = id,
            Status = status,
            CreatedAt = FromMillis(Convert.ToInt64(reader["created_at"])),
            StartedAt = Time(reader, "started_at"),
            CompletedAt = Time(reader, "completed_at"),
            Owner = String(reader, "owner"),
            ApiBaseUrl = String(reader, "api_base_url"),
            Parameters = Deserialize<GenerationParameters>(String(reader, "parameters"))
                         ?? throw new InvalidDataException($"Generation {id} has no parameters."),
            Inputs = Deserialize<JobInputs>(String(reader, "inputs")),
            Progress = Deserialize<JobProgress>(String(reader, "progress")),
            Images = Deserialize<List<StoredImage>>(String(reader, "images")) ?? [],
            StageImages = Deserialize<List<StageOutput>>(String(reader, "stage_images")) ?? [],
            Error = Deserialize<JobError>(String(reader, "error")),
            Metrics = Deserialize<JobMetrics>(String(reader, "metrics")),
            CancelRequested = Convert.ToBoolean(reader["cancel_requested"]),
            Attempts = Convert.ToInt32(reader["attempts"]),
            DispatchId = String(reader, "dispatch_id"),
            Lease = owner is null ? null : new JobLease(owner, FromMillis(Convert.ToInt64(reader["lease_until"]))),
        };
    }

    public static string? RequestHash(DbDataReader reader) => String(reader, "request_hash");

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Json);

    public static string? SerializeOrNull<T>(T? value) where T : class => value is null ? null : JsonSerializer.Serialize(value, Json);

    public static long Millis(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    /// <summary>The bound of "a lease ended before": <see cref="DateTimeOffset.MaxValue"/> (any time) as the largest number.</summary>
    public static long BoundMillis(DateTimeOffset time) => time == DateTimeOffset.MaxValue ? long.MaxValue : Millis(time);

    static DateTimeOffset FromMillis(long millis) => DateTimeOffset.FromUnixTimeMilliseconds(millis);

    static string? String(DbDataReader reader, string column)
    {
        var ordinal = reader.GetOrdinal(column);
        return reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
    }

    static DateTimeOffset? Time(DbDataReader reader, string column)
    {
        var ordinal = reader.GetOrdinal(column);
        return reader.IsDBNull(ordinal) ? null : FromMillis(Convert.ToInt64(reader.GetValue(ordinal)));
    }

    static T? Deserialize<T>(string? json) where T : class => json is null ? null : JsonSerializer.Deserialize<T>(json, Json);
}
