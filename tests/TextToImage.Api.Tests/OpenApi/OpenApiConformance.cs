using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace TextToImage.Api.Tests.OpenApi;

/// <summary>
/// Holds real answers to the service's own OpenAPI 3.1 document: each answer's status must be declared for its operation,
/// its content type among the declared ones, its JSON body valid against the declared schema (JSON Schema 2020-12, checked by
/// JsonSchema.Net), and the headers declared required present. Records what it checked, so a test can ask that every
/// operation was seen.
/// </summary>
sealed class OpenApiConformance(JsonNode document)
{
    static int _schemas;
    readonly List<string> _checked = [];

    public JsonNode Document { get; } = document;

    /// <summary>"GET /v1/models 200", one per checked answer.</summary>
    public IReadOnlyList<string> Checked => _checked;

    public IEnumerable<string> Operations =>
        Document["paths"]!.AsObject().SelectMany(path => path.Value!.AsObject().Select(op => $"{op.Key.ToUpperInvariant()} {path.Key}"));

    /// <summary>Checks <paramref name="response"/> (read in full) as an answer to <paramref name="method"/> on the path template.</summary>
    public async Task<byte[]> Check(string method, string template, HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsByteArrayAsync();
        var where = $"{method} {template} answered {(int)response.StatusCode}";
        var operation = Document["paths"]?[template]?[method.ToLowerInvariant()] ?? throw new Xunit.Sdk.XunitException($"{method} {template} is not in the document.");
        var code = ((int)response.StatusCode).ToString();
        var declared = operation["responses"]![code] ?? operation["responses"]![$"{code[0]}XX"] ?? operation["responses"]!["default"]
                       ?? throw new Xunit.Sdk.XunitException($"{where}, which the document does not declare (it declares {string.Join(", ", operation["responses"]!.AsObject().Select(r => r.Key))}).");

        foreach (var (name, header) in declared["headers"]?.AsObject() ?? [])
            if (header!["required"]?.GetValue<bool>() == true)
                Assert.True(response.Headers.Contains(name) || response.Content.Headers.Contains(name), $"{where} without its required header {name}.");

        if (body.Length > 0 || declared["content"] is not null)
        {
            var contentType = response.Content.Headers.ContentType?.MediaType;
            var content = declared["content"]?.AsObject() ?? throw new Xunit.Sdk.XunitException($"{where} with a {contentType} body the document does not declare.");
            Assert.True(contentType is not null && content.ContainsKey(contentType),
                $"{where} with {contentType}; the document declares {string.Join(", ", content.Select(c => c.Key))}.");
            if (contentType!.EndsWith("json", StringComparison.Ordinal) && content[contentType]?["schema"] is { } schema)
                Validate(schema, body, where);
        }
        _checked.Add($"{method} {template} {(int)response.StatusCode}");
        return body;
    }

    void Validate(JsonNode schema, byte[] body, string where)
    {
        // The response schema with the document's components as $defs: refs to #/components/schemas/X become #/$defs/X.
        var standalone = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$defs"] = Document["components"]!["schemas"]!.DeepClone(),
            ["allOf"] = new JsonArray(schema.DeepClone()),
        };
        var text = standalone.ToJsonString().Replace("#/components/schemas/", "#/$defs/", StringComparison.Ordinal);
        var options = new BuildOptions { SchemaRegistry = new SchemaRegistry() };
        var compiled = JsonSchema.FromText(text, options, new Uri($"https://t2i.test/schemas/{Interlocked.Increment(ref _schemas)}"));
        using var instance = JsonDocument.Parse(body);
        var result = compiled.Evaluate(instance.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (result.IsValid) return;
        var errors = (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"  {d.InstanceLocation} ({d.EvaluationPath}): {e.Value}"));
        throw new Xunit.Sdk.XunitException($"{where} with a body its schema refuses:\n{string.Join("\n", errors.Take(20))}\nbody: {System.Text.Encoding.UTF8.GetString(body)[..Math.Min(body.Length, 2000)]}");
    }
}
