using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using TextToImage.Service.Requests;

namespace TextToImage.Api.OpenAI;

/// <summary>The body of OpenAI's <c>POST /v1/images/generations</c>, as far as this service honours it.</summary>
public sealed record OpenAIImageGenerationBody
{
    /// <summary>What to draw (required).</summary>
    /// <example>a red apple</example>
    [JsonPropertyName("prompt")] public string? Prompt { get; init; }

    /// <summary>A model of GET /v1/models; default: the service's. OpenAI's own names (dall-e-3, gpt-image-1) are not models here.</summary>
    [JsonPropertyName("model")] public string? Model { get; init; }

    /// <summary>How many images, 1 to 4 (default 1).</summary>
    [JsonPropertyName("n")] public int? N { get; init; }

    /// <summary><c>WxH</c>, square and one of the model's stage resolutions, or <c>auto</c> (the largest, the default).</summary>
    /// <example>128x128</example>
    [JsonPropertyName("size")] public string? Size { get; init; }

    /// <summary><c>url</c> (default) or <c>b64_json</c>. With API keys configured, a URL needs the key too (or signed-URL redirects).</summary>
    [JsonPropertyName("response_format")] public string? ResponseFormat { get; init; }

    /// <summary><c>png</c> (default), <c>webp</c> or <c>jpeg</c>.</summary>
    [JsonPropertyName("output_format")] public string? OutputFormat { get; init; }

    /// <summary>WebP and JPEG: 0 to 100, higher keeps more detail (our outputQuality; 0 reads as 1).</summary>
    [JsonPropertyName("output_compression")] public int? OutputCompression { get; init; }

    /// <summary>The end user, for the operator's logs: logged with the job id.</summary>
    [JsonPropertyName("user")] public string? User { get; init; }

    /// <summary><c>auto</c> or <c>standard</c> only: the model draws as it was trained.</summary>
    [JsonPropertyName("quality")] public string? Quality { get; init; }

    /// <summary><c>auto</c> or <c>opaque</c> only: no transparent backgrounds.</summary>
    [JsonPropertyName("background")] public string? Background { get; init; }

    /// <summary><c>auto</c> or <c>low</c>: this service has no moderation of its own.</summary>
    [JsonPropertyName("moderation")] public string? Moderation { get; init; }

    /// <summary>Not supported: any value is refused.</summary>
    [JsonPropertyName("style")] public string? Style { get; init; }
}

/// <summary>
/// OpenAI's image-generation request mapped onto ours: <c>n</c> → numImages, <c>size</c> "WxH" → a
/// square stage resolution, <c>output_format</c> and <c>output_compression</c> → outputFormat and
/// outputQuality. Every refusal names OpenAI's parameter; options we cannot honour are refused, not ignored.
/// </summary>
sealed record OpenAIImageRequest(CreateGenerationRequest Generation, bool Base64, string? User)
{
    static readonly JsonSerializerOptions Strict = new() { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    static readonly HashSet<string> Parameters = typeof(OpenAIImageGenerationBody).GetProperties()
        .Select(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()!.Name).ToHashSet();

    static readonly (string Name, Func<OpenAIImageGenerationBody, string?> Value, string[] Allowed)[] NoOps =
    [
        ("quality", b => b.Quality, ["auto", "standard"]),
        ("background", b => b.Background, ["auto", "opaque"]),
        ("moderation", b => b.Moderation, ["auto", "low"]),
        ("style", b => b.Style, []),
    ];

    /// <param name="resolutionsOf">The square sizes a model makes; null for a model not configured (the name null: the default model).</param>
    /// <returns>The request, or the error to answer with.</returns>
    public static (OpenAIImageRequest? Request, OpenAIError? Error) Parse(JsonElement json, Func<string?, IReadOnlyList<int>?> resolutionsOf)
    {
        if (json.ValueKind != JsonValueKind.Object) return Fail("The body must be a JSON object.", null);
        OpenAIImageGenerationBody body;
        try
        {
            body = json.Deserialize<OpenAIImageGenerationBody>(Strict)!;
        }
        catch (JsonException e)
        {
            var name = e.Path?.StartsWith("$.", StringComparison.Ordinal) == true ? e.Path[2..] : null;
            return name is not null && !Parameters.Contains(name)
                ? Fail($"Unrecognized request argument supplied: {name}", name, "unknown_parameter")
                : Fail($"{name ?? "The body"} has the wrong type.", name, "invalid_type");
        }

        if (body.Prompt is null) return Fail("prompt is required.", "prompt", "missing_required_parameter");
        foreach (var (name, value, allowed) in NoOps)
            if (value(body) is { } given && !allowed.Contains(given))
                return Fail(allowed.Length == 0
                    ? $"{name} is not supported by this service."
                    : $"{name} '{given}' is not supported by this service; use {string.Join(" or ", allowed)}.", name, "unsupported_value");
        if (resolutionsOf(body.Model) is not { } resolutions)
            return Fail(body.Model is null ? "No model is configured on this service." : $"The model '{body.Model}' does not exist on this service (GET /v1/models lists them).",
                "model", "model_not_found");
        if (body.ResponseFormat is not (null or "url" or "b64_json"))
            return Fail($"response_format must be 'url' or 'b64_json', not '{body.ResponseFormat}'.", "response_format");
        int? resolution = null;
        if (body.Size is not null and not "auto")
        {
            if (ParseSize(body.Size) is not { } side || !resolutions.Contains(side))
                return Fail($"size '{body.Size}' is not supported; use one of: {string.Join(", ", resolutions.Select(r => $"{r}x{r}"))} or auto.", "size", "unsupported_value");
            resolution = side;
        }
        if (body.OutputCompression is { } c && (c < 0 || c > 100)) return Fail("output_compression must be between 0 and 100.", "output_compression");
        if (body.OutputCompression is not null && body.OutputFormat is null or "png")
            return Fail("output_compression applies to the webp and jpeg output formats.", "output_compression");

        var generation = new CreateGenerationRequest
        {
            Prompt = body.Prompt,
            Model = body.Model,
            NumImages = body.N,
            Resolution = resolution,
            OutputFormat = body.OutputFormat,
            OutputQuality = body.OutputCompression is { } q ? Math.Max(1, q) : null,
        };
        return (new OpenAIImageRequest(generation, body.ResponseFormat == "b64_json", body.User), null);
    }

    /// <summary>OpenAI's name of one of our request fields, for validation errors.</summary>
    public static string ParamOf(string field) => field switch
    {
        "numImages" => "n",
        "resolution" => "size",
        "outputFormat" => "output_format",
        "outputQuality" => "output_compression",
        _ => field,
    };

    static int? ParseSize(string size)
    {
        var parts = size.Split('x');
        return parts.Length == 2
               && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var width)
               && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var height)
               && width == height
            ? width
            : null;
    }

    static (OpenAIImageRequest?, OpenAIError?) Fail(string message, string? param, string? code = null) =>
        (null, new OpenAIError(message, OpenAIError.InvalidRequest, param, code));
}

/// <summary>The form of OpenAI's <c>POST /v1/images/edits</c> (for the document; the handler reads the form itself, to answer in OpenAI's shape).</summary>
public sealed class OpenAIImageEditForm
{
    /// <summary>The picture: PNG, JPEG or WebP (also accepted as <c>image[]</c>, one file).</summary>
    [JsonPropertyName("image")] public IFormFile? Image { get; set; }

    /// <summary>OpenAI's mask: as large as the image, transparent (alpha below half) where to edit.</summary>
    [JsonPropertyName("mask")] public IFormFile? Mask { get; set; }

    /// <summary>What the edited picture should show (required).</summary>
    [JsonPropertyName("prompt")] public string? Prompt { get; set; }

    /// <summary>Must be 1.</summary>
    [JsonPropertyName("n")] public int? N { get; set; }

    /// <summary>As for generations: <c>WxH</c> or <c>auto</c>.</summary>
    [JsonPropertyName("size")] public string? Size { get; set; }

    [JsonPropertyName("model")] public string? Model { get; set; }
    [JsonPropertyName("response_format")] public string? ResponseFormat { get; set; }
    [JsonPropertyName("output_format")] public string? OutputFormat { get; set; }
    [JsonPropertyName("output_compression")] public int? OutputCompression { get; set; }
    [JsonPropertyName("user")] public string? User { get; set; }
}
