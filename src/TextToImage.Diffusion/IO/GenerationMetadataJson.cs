using System.Text.Encodings.Web;
using System.Text.Json;

namespace TextToImage.Diffusion.IO;

/// <summary>The one-field JSON form of <see cref="GenerationMetadata"/> stored in the PNG "parameters" chunk.</summary>
internal static class GenerationMetadataJson
{
    public static string Write(GenerationMetadata metadata)
    {
        using var buffer = new MemoryStream();
        // Relaxed escaping keeps accented letters readable in the chunk; the JSON is never put in HTML.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("prompt", metadata.Prompt);
            if (metadata.NegativePrompt is null) json.WriteNull("negative_prompt");
            else json.WriteString("negative_prompt", metadata.NegativePrompt);
            json.WriteNumber("seed", metadata.Seed);
            json.WriteNumber("steps", metadata.Steps);
            json.WriteString("sampler", metadata.Sampler);
            json.WriteNumber("guidance_scale", metadata.GuidanceScale);
            json.WriteString("model", metadata.Model);
            json.WriteNumber("width", metadata.Width);
            json.WriteNumber("height", metadata.Height);
            json.WriteStartObject("extra");
            // Sorted so the same metadata always yields the same bytes.
            foreach (var (key, value) in (metadata.Extra ?? new Dictionary<string, string>()).OrderBy(e => e.Key, StringComparer.Ordinal))
                json.WriteString(key, value);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The metadata in <paramref name="text"/>, or null when it is not JSON of our shape (e.g. another tool's "parameters").</summary>
    public static GenerationMetadata? TryRead(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return null;
            if (!TryString(root, "prompt", out var prompt) || prompt is null
                || !TryString(root, "negative_prompt", out var negative)
                || !TryNumber(root, "seed", out long seed)
                || !TryNumber(root, "steps", out int steps)
                || !TryString(root, "sampler", out var sampler) || sampler is null
                || !root.TryGetProperty("guidance_scale", out var scale) || !scale.TryGetDouble(out var guidance)
                || !TryString(root, "model", out var model) || model is null
                || !TryNumber(root, "width", out int width)
                || !TryNumber(root, "height", out int height)
                || !TryExtra(root, out var extra))
                return null;
            return new GenerationMetadata(prompt, negative, seed, steps, sampler, guidance, model, width, height, extra);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // A present string, or an explicit null; an absent or non-string value fails.
    static bool TryString(JsonElement root, string name, out string? value)
    {
        value = null;
        if (!root.TryGetProperty(name, out var element)) return false;
        if (element.ValueKind == JsonValueKind.Null) return true;
        if (element.ValueKind != JsonValueKind.String) return false;
        value = element.GetString();
        return true;
    }

    static bool TryNumber(JsonElement root, string name, out long value)
    {
        value = 0;
        return root.TryGetProperty(name, out var element) && element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out value);
    }

    static bool TryNumber(JsonElement root, string name, out int value)
    {
        value = 0;
        return root.TryGetProperty(name, out var element) && element.ValueKind == JsonValueKind.Number && element.TryGetInt32(out value);
    }

    static bool TryExtra(JsonElement root, out IReadOnlyDictionary<string, string>? extra)
    {
        extra = null;
        if (!root.TryGetProperty("extra", out var element) || element.ValueKind == JsonValueKind.Null) return true;
        if (element.ValueKind != JsonValueKind.Object) return false;
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in element.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String) return false;
            values[item.Name] = item.Value.GetString()!;
        }
        extra = values.Count > 0 ? values : null;
        return true;
    }
}
