using System.Text.Json;
using System.Text.Json.Serialization;

namespace TextToImage.Service.Jobs;

/// <summary>A job's life: queued, running, then one terminal state.</summary>
[JsonConverter(typeof(GenerationStatusJsonConverter))]
public enum GenerationStatus
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Canceled,
}

public static class GenerationStatuses
{
    public static bool IsTerminal(this GenerationStatus status) =>
        status is GenerationStatus.Succeeded or GenerationStatus.Failed or GenerationStatus.Canceled;

    /// <summary>The wire and database spelling: <c>queued</c>, <c>running</c>, ...</summary>
    public static string Name(this GenerationStatus status) => status.ToString().ToLowerInvariant();

    public static bool TryParse(string? text, out GenerationStatus status) =>
        Enum.TryParse(text, ignoreCase: true, out status) && Enum.IsDefined(status) && !int.TryParse(text, out _);
}

sealed class GenerationStatusJsonConverter() : JsonStringEnumConverter<GenerationStatus>(JsonNamingPolicy.CamelCase, allowIntegerValues: false);
