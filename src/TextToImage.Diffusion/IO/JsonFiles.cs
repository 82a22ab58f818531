using System.Text.Json;
using System.Text.Json.Serialization;

namespace TextToImage.Diffusion.IO;

/// <summary>The model folder's own JSON files (index, text encoder): one set of options, clear errors, atomic writes.</summary>
public static class JsonFiles
{
    static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        // Files people read and edit by hand: "32->128 px" stays as written, not "32-\u003E128 px" (nothing here is HTML).
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static T Read<T>(string path)
    {
        if (!File.Exists(path)) throw new InvalidDataException($"Model file missing: {path}");
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path), Options)
                   ?? throw new InvalidDataException($"{path} is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not valid: {e.Message}", e);
        }
    }

    public static void Write<T>(string path, T value) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(value, Options));
}
