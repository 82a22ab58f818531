using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;
using TextToImage.Api.Contracts;
using TextToImage.Diffusion.Samplers;
using TextToImage.Service.Jobs;

namespace TextToImage.Api.Infrastructure;

/// <summary>
/// What the endpoints' metadata cannot say and the server does: the statuses every /v1 operation can answer (401 with
/// keys configured, 429 from the rate limiter, both problem details), response headers (Location, Retry-After, ETag,
/// Cache-Control), the image and event-stream bodies, <c>If-None-Match</c>, and enums the C# types hold as strings.
/// Generated clients and strict validators read the document, so it must describe the answers exactly.
/// </summary>
sealed class OpenApiContract(ApiKeys keys) : IOperationFilter, ISchemaFilter, IDocumentFilter
{
    const string ProblemJson = "application/problem+json";

    static readonly Dictionary<string, string> Tags = new()
    {
        ["Generations"] = "Text-to-image jobs: queue, read, list, follow and cancel them. Edits and upscales are read here too.",
        ["Edits"] = "Image-to-image and inpainting jobs on an uploaded picture.",
        ["Upscales"] = "Super-resolution jobs on an uploaded picture.",
        ["Images"] = "The images jobs made (PNG, WebP or JPEG), and their uploaded inputs.",
        ["OpenAI compatible"] = "OpenAI's Images API, for the clients and SDKs people already have: the request and answer in OpenAI's shapes.",
        ["Models"] = "The models this service runs.",
    };

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var path = "/" + context.ApiDescription.RelativePath?.TrimStart('/');
        if (!path.StartsWith("/v1/", StringComparison.Ordinal)) return;
        operation.Responses ??= new OpenApiResponses();
        var responses = operation.Responses;

        if (keys.Required)
            responses["401"] = Problem("No valid API key: send one in X-Api-Key or as 'Authorization: Bearer <key>'.", context);
        var tooMany = Problem("Over the caller's rate limit (Api:RateLimitPerSecond), or for a submission the queue is full: retry after Retry-After seconds.", context);
        tooMany.Headers = new Dictionary<string, IOpenApiHeader> { ["Retry-After"] = Header("Seconds to wait before retrying.", JsonSchemaType.Integer) };
        responses["429"] = tooMany;

        foreach (var code in new[] { "200", "202" })
            if (responses.TryGetValue(code, out var answer) && answer is OpenApiResponse response && IsJobAnswer(context))
                response.Headers = new Dictionary<string, IOpenApiHeader>
                {
                    ["Location"] = code == "202"
                        ? Header("The job's URL, to poll.", JsonSchemaType.String)
                        : Header("The job's URL (when a submission answers 200 after Prefer: wait).", JsonSchemaType.String, always: false),
                };

        switch (context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<IEndpointNameMetadata>().FirstOrDefault()?.EndpointName)
        {
            case "CreateEdit" or "CreateUpscale":
                DescribeUpload(operation);
                break;
            case "GetImage":
                DescribeImage(operation);
                break;
            case "OpenAICreateImage" or "OpenAICreateImageEdit":
                DescribeOpenAIErrors(operation, context);
                break;
            case "GenerationEvents":
                Body(operation, "200", "Server-sent events, until the job ends (see the description).",
                    "text/event-stream", new OpenApiSchema { Type = JsonSchemaType.String });
                break;
            case "ListGenerations":
                foreach (var parameter in operation.Parameters ?? [])
                    if (parameter is OpenApiParameter { Name: "status", Schema: OpenApiSchema schema }) schema.Enum = Strings(Enum.GetValues<GenerationStatus>().Select(v => v.Name()));
                break;
        }
    }

    /// <summary>Enums the types hold as strings, and the upload that the form binds as optional (to answer its own 400) but needs.</summary>
    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (schema is not OpenApiSchema { Properties: { } properties } concrete) return;
        foreach (var (name, property) in properties)
        {
            if (property is not OpenApiSchema value) continue;
            if (name == "sampler") value.Enum = Strings(SchedulerFactory.SamplerNames);
            if (name == "kind" && context.Type == typeof(GenerationResource)) value.Enum = Strings([JobKinds.Generation, JobKinds.Edit, JobKinds.Upscale]);
        }
        if (context.Type == typeof(EditForm) || context.Type == typeof(UpscaleForm))
        {
            // A form field is sent or left out, never null.
            foreach (var field in properties.Values.OfType<OpenApiSchema>())
                if (field.Type is { } type) field.Type = type & ~JsonSchemaType.Null;
            // Nullable in C# so that the validator, not the binder, says what is missing (a 400 naming the field); required on the wire.
            Require(concrete, "image");
        }
        if (context.Type == typeof(Service.Requests.CreateGenerationRequest)) Require(concrete, "prompt");
    }

    /// <summary>
    /// A nullable object property comes out as <c>{"type": "null", "allOf": [{"$ref": ...}]}</c>, which nothing but null and
    /// the object at once satisfies; it means <c>oneOf</c> the object or null.
    /// </summary>
    public void Apply(OpenApiDocument document, DocumentFilterContext context)
    {
        document.Info.License = new OpenApiLicense { Name = "MIT", Identifier = "MIT" };
        document.Tags = new HashSet<OpenApiTag>(Tags.Select(t => new OpenApiTag { Name = t.Key, Description = t.Value }));
        // Without keys the API is open: say so (an empty requirement), rather than leaving security undefined.
        if (!keys.Required) document.Security = [new OpenApiSecurityRequirement()];
        foreach (var schema in document.Components?.Schemas?.Values ?? [])
            foreach (var (name, property) in schema.Properties?.ToList() ?? [])
                if (property is OpenApiSchema { Type: JsonSchemaType.Null, AllOf: [var reference] } nullable)
                {
                    nullable.Type = null;
                    nullable.AllOf = null;
                    nullable.OneOf = [reference, new OpenApiSchema { Type = JsonSchemaType.Null }];
                }
                // A required object property comes out as {"allOf": [{"$ref": ...}]}: the reference itself says the same.
                else if (property is OpenApiSchema { Type: null, AllOf: [var only], OneOf: null, Properties: null or { Count: 0 } })
                    schema.Properties![name] = only;
    }

    static void Require(OpenApiSchema schema, string property)
    {
        schema.Required ??= new HashSet<string>();
        schema.Required.Add(property);
        if (schema.Properties![property] is OpenApiSchema value && value.Type is { } type) value.Type = type & ~JsonSchemaType.Null;
    }

    static bool IsJobAnswer(OperationFilterContext context) =>
        context.ApiDescription.HttpMethod == "POST" && context.ApiDescription.SupportedResponseTypes.Any(r => r.Type == typeof(GenerationResource));

    /// <summary>
    /// The form as the body itself (the parameter's wrapper, <c>{"form": {allOf: [EditForm]}}</c>, is no field a client sends),
    /// and the picture formats the file parts may have.
    /// </summary>
    static void DescribeUpload(OpenApiOperation operation)
    {
        if (operation.RequestBody?.Content?.TryGetValue("multipart/form-data", out var multipart) != true || multipart is not OpenApiMediaType media) return;
        if (media.Schema is OpenApiSchema { Properties: { Count: 1 } wrapper } && wrapper.Values.Single() is OpenApiSchema { AllOf: [var form] })
            media.Schema = form;
        var pictures = new OpenApiEncoding { ContentType = "image/png, image/jpeg, image/webp" };
        media.Encoding = new Dictionary<string, OpenApiEncoding> { ["image"] = pictures };
        if (operation.OperationId == "CreateEdit") media.Encoding["mask"] = new OpenApiEncoding { ContentType = "image/png, image/jpeg, image/webp" };
    }

    /// <summary>OpenAI's clients read OpenAI's error shape: a refused key says so in it, and a full queue too (the rate limit stays a problem).</summary>
    static void DescribeOpenAIErrors(OpenApiOperation operation, OperationFilterContext context)
    {
        var error = new OpenApiMediaType { Schema = context.SchemaGenerator.GenerateSchema(typeof(OpenAI.OpenAIErrorBody), context.SchemaRepository) };
        if (operation.Responses!.TryGetValue("401", out var denied) && denied is OpenApiResponse unauthorized)
            unauthorized.Content = new Dictionary<string, IOpenApiMediaType> { ["application/json"] = error };
        if (operation.Responses["429"] is OpenApiResponse tooMany)
        {
            tooMany.Description = "Over the caller's rate limit (a problem), or the queue is full (an OpenAI error): retry after Retry-After seconds.";
            tooMany.Content!["application/json"] = error;
        }
    }

    static void DescribeImage(OpenApiOperation operation)
    {
        operation.Parameters ??= [];
        foreach (var parameter in operation.Parameters)
            if (parameter is OpenApiParameter { Name: "key" } key)
                key.Description = "The key from an image URL of a generation, e.g. `{id}/0.png` or `{id}/stage-0/0.png`. It holds slashes: " +
                                  "send them as they are or percent-encoded (`%2F`), as generated clients do; both are served.";
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = "If-None-Match", In = ParameterLocation.Header, Required = false,
            Description = "The ETag of a copy already held: answered 304 without a body when it still matches.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        });
        var cache = new Dictionary<string, IOpenApiHeader>
        {
            ["ETag"] = Header("The image's entity tag, for If-None-Match.", JsonSchemaType.String),
            ["Cache-Control"] = Header("`public, max-age=31536000, immutable`: an image never changes.", JsonSchemaType.String),
        };
        Body(operation, "200", "The image, in the format its job asked for.", "image/png", new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" });
        foreach (var other in new[] { "image/webp", "image/jpeg" })
            ((OpenApiResponse)operation.Responses!["200"]).Content![other] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" } };
        ((OpenApiResponse)operation.Responses!["200"]).Headers = new Dictionary<string, IOpenApiHeader>(cache)
        {
            ["Last-Modified"] = Header("When the image was stored.", JsonSchemaType.String, always: false),
        };
        // One range, not 302 and 304: Kiota (1.38) makes the download a method without a body when either code is declared beside the 200.
        operation.Responses["3XX"] = new OpenApiResponse
        {
            Description = "304 without a body when the copy named in If-None-Match is current; 302 to a short-lived signed URL of the image " +
                          "with Azure storage and Storage:RedirectToSignedUrls.",
            Headers = new Dictionary<string, IOpenApiHeader>
            {
                ["ETag"] = Header("304: the image's entity tag.", JsonSchemaType.String, always: false),
                ["Cache-Control"] = Header("304: as the 200's.", JsonSchemaType.String, always: false),
                ["Location"] = Header("302: the signed URL.", JsonSchemaType.String, always: false),
            },
        };
    }

    static void Body(OpenApiOperation operation, string code, string description, string contentType, OpenApiSchema schema) =>
        operation.Responses![code] = new OpenApiResponse { Description = description, Content = new Dictionary<string, IOpenApiMediaType> { [contentType] = new OpenApiMediaType { Schema = schema } } };

    static OpenApiResponse Problem(string description, OperationFilterContext context) => new()
    {
        Description = description,
        Content = new Dictionary<string, IOpenApiMediaType>
        {
            [ProblemJson] = new OpenApiMediaType { Schema = context.SchemaGenerator.GenerateSchema(typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), context.SchemaRepository) },
        },
    };

    /// <summary>A response header; <paramref name="always"/>: every such answer has it (required), else only some do.</summary>
    static OpenApiHeader Header(string description, JsonSchemaType type, bool always = true) =>
        new() { Description = description, Required = always, Schema = new OpenApiSchema { Type = type } };

    static List<JsonNode> Strings(IEnumerable<string> values) => values.Select(v => (JsonNode)JsonValue.Create(v)).ToList();
}
