using System.Text.Json;
using System.Text.Json.Serialization;

namespace TextToImage.Diffusion.IO;

/// <summary>
/// <c>model_index.json</c>: what a model folder holds, in the spirit of diffusers' file of the
/// same name. Stages are listed base first, then each super-resolution stage in order.
/// </summary>
public sealed record ModelIndex
{
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("license")] public string? License { get; init; }
    [JsonPropertyName("description")] public string? Description { get; init; }
    [JsonPropertyName("text_encoder")] public string TextEncoderFolder { get; init; } = "text_encoder";
    [JsonPropertyName("stages")] public required IReadOnlyList<StageEntry> Stages { get; init; }

    public const string FileName = "model_index.json";

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public static ModelIndex Load(string folder) => ReadJson<ModelIndex>(Path.Combine(folder, FileName));

    /// <summary>Writes beside, then renames: a reader never sees half an index.</summary>
    public void Save(string folder) => WriteJsonAtomically(Path.Combine(folder, FileName), this);

    internal static void WriteJsonAtomically<T>(string path, T value)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(value, Json));
        File.Move(temp, path, overwrite: true);
    }

    internal static T ReadJson<T>(string path)
    {
        if (!File.Exists(path)) throw new InvalidDataException($"Model file missing: {path}");
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path), Json)
                   ?? throw new InvalidDataException($"{path} is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not valid: {e.Message}", e);
        }
    }
}

public enum StageKind
{
    Base,
    SuperResolution,
}

/// <summary>Writes and reads stage kinds as <c>base</c> and <c>super_resolution</c>.</summary>
sealed class StageKindJsonConverter() : JsonStringEnumConverter<StageKind>(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false);

/// <summary>One stage of the cascade: its folder and the settings used when a request names none.</summary>
public sealed record StageEntry
{
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("folder")] public required string Folder { get; init; }
    [JsonPropertyName("kind"), JsonConverter(typeof(StageKindJsonConverter))]
    public StageKind Kind { get; init; } = StageKind.Base;
    [JsonPropertyName("defaults")] public StageDefaults Defaults { get; init; } = new();
}

public sealed record StageDefaults
{
    [JsonPropertyName("sampler")] public string Sampler { get; init; } = "ddim";
    [JsonPropertyName("steps")] public int Steps { get; init; } = 50;
    [JsonPropertyName("guidance_scale")] public double GuidanceScale { get; init; } = 4.0;

    /// <summary>Noise-conditioning augmentation level (a training timestep) for super-resolution stages.</summary>
    [JsonPropertyName("noise_level")] public int NoiseLevel { get; init; } = 250;

    [JsonPropertyName("eta")] public double Eta { get; init; }
}
