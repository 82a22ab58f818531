using System.Text.Json;
using System.Text.Json.Serialization;
using TextToImage.Api.Contracts;
using TextToImage.Api.Endpoints;
using TextToImage.Api.Infrastructure;
using TextToImage.Service.Blobs;
using TextToImage.Service.Jobs;
using TextToImage.Service.Models;
using TextToImage.Service.Requests;

namespace TextToImage.Api.OpenAI;

/// <summary>
/// <c>POST /v1/images/generations</c> and <c>/v1/images/edits</c> as OpenAI's Images API has them, so the clients people already
/// have (the OpenAI SDKs, pointed at this service's <c>/v1</c>) work unchanged. The job runs as any
/// other (it is listed under /v1/generations) and the answer waits for it, up to
/// <c>Api:OpenAIWaitSeconds</c>. The API is synchronous, so a job whose caller stopped waiting (a
/// timeout, or the connection closed) is canceled: no one could collect it, and a client's retry
/// would otherwise run it twice.
/// </summary>
static class OpenAIImagesEndpoints
{
    public static RouteGroupBuilder MapOpenAIImagesApi(this RouteGroupBuilder v1)
    {
        v1.MapPost("/images/generations", Generate).WithTags("OpenAI compatible").WithName("OpenAICreateImage")
            .WithSummary("Generate images (OpenAI Images API)")
            .Accepts<OpenAIImageGenerationBody>("application/json")
            .Produces<OpenAIImagesResponse>()
            .Produces<OpenAIErrorBody>(StatusCodes.Status400BadRequest).Produces<OpenAIErrorBody>(StatusCodes.Status500InternalServerError)
            .Produces<OpenAIErrorBody>(StatusCodes.Status503ServiceUnavailable).Produces<OpenAIErrorBody>(StatusCodes.Status504GatewayTimeout);   // 401, 429: OpenApiContract
        v1.MapPost("/images/edits", Edit).WithTags("OpenAI compatible").WithName("OpenAICreateImageEdit")
            .WithSummary("Edit an image (OpenAI Images API)")
            .DisableAntiforgery().WithMetadata(new AcceptsUploads()).Accepts<OpenAIImageEditForm>("multipart/form-data")
            .Produces<OpenAIImagesResponse>()
            .Produces<OpenAIErrorBody>(StatusCodes.Status400BadRequest).Produces<OpenAIErrorBody>(StatusCodes.Status413PayloadTooLarge)
            .Produces<OpenAIErrorBody>(StatusCodes.Status415UnsupportedMediaType).Produces<OpenAIErrorBody>(StatusCodes.Status500InternalServerError)
            .Produces<OpenAIErrorBody>(StatusCodes.Status503ServiceUnavailable).Produces<OpenAIErrorBody>(StatusCodes.Status504GatewayTimeout);
        return v1;
    }

    public static bool IsOpenAIPath(PathString path) => path.StartsWithSegments("/v1/images/generations") || path.StartsWithSegments("/v1/images/edits");

    /// <summary>Generates images from a prompt and answers with them (OpenAI's request and response).</summary>
    /// <remarks>
    /// Body: <c>prompt</c>, <c>n</c> (1 to 4), <c>size</c> (<c>WxH</c>, a square resolution of the model, or <c>auto</c>),
    /// <c>response_format</c> (<c>url</c>, the default, or <c>b64_json</c>), <c>output_format</c> (png, webp, jpeg),
    /// <c>output_compression</c> (webp and jpeg quality, 0 to 100), <c>model</c> (GET /v1/models; default: the service's),
    /// <c>user</c> (logged with the job). Errors are OpenAI's: <c>{"error": {"message", "type", "param", "code"}}</c>.
    /// </remarks>
    static async Task<IResult> Generate(HttpRequest http, [Microsoft.AspNetCore.Http.AsParameters] GenerationServices services, ModelCatalog catalog, IBlobStore blobs,
        ILoggerFactory logs, CancellationToken cancellation)
    {
        JsonElement body;
        try
        {
            body = (await JsonDocument.ParseAsync(http.Body, cancellationToken: cancellation)).RootElement;
        }
        catch (JsonException e)
        {
            return OpenAIError.BadRequest($"The body is not valid JSON: {e.Message}", null, "invalid_json");
        }
        var (request, error) = OpenAIImageRequest.Parse(body, name => catalog.Find(name ?? catalog.DefaultName)?.Resolutions);
        if (error is not null) return error.ToResult(StatusCodes.Status400BadRequest);
        var parameters = services.Validator.Validate(request!.Generation, out var errors);
        return parameters is null ? Refusal(errors) : await Run(parameters, null, request, services, blobs, logs, http, cancellation);
    }

    /// <summary>Edits an image (OpenAI's <c>/v1/images/edits</c>): the picture, an optional mask, a prompt, as multipart/form-data.</summary>
    /// <remarks>
    /// <c>image</c> (PNG, JPEG or WebP), <c>mask</c> (OpenAI's: a PNG as large as the image, transparent where to edit; without one, a
    /// picture with transparency is edited where it is transparent, and an opaque one is edited as a whole), <c>prompt</c>, and
    /// the fields of <c>/v1/images/generations</c> but <c>n</c>, which must be 1. Errors are OpenAI's.
    /// </remarks>
    static async Task<IResult> Edit(HttpRequest http, [Microsoft.AspNetCore.Http.AsParameters] GenerationServices services, ModelCatalog catalog, IBlobStore blobs,
        ILoggerFactory logs, CancellationToken cancellation)
    {
        if (!http.HasFormContentType)
            return OpenAIError.BadRequest($"Send the edit as multipart/form-data, not '{http.ContentType}'.", null, "invalid_content_type");
        var form = await http.ReadFormAsync(cancellation);
        if (form.Files.FirstOrDefault(f => f.Name is not ("image" or "image[]" or "mask")) is { } stray)
            return OpenAIError.BadRequest($"Unrecognized request argument supplied: {stray.Name}", stray.Name, "unknown_parameter");
        if ((form.Files.GetFile("image") ?? form.Files.GetFile("image[]")) is not { } image)
            return OpenAIError.BadRequest("image is required.", "image", "missing_required_parameter");
        var (request, error) = OpenAIImageRequest.Parse(FormFields(form), name => catalog.Find(name ?? catalog.DefaultName)?.Resolutions);
        if (error is not null) return error.ToResult(StatusCodes.Status400BadRequest);
        if (request!.Generation.NumImages is > 1) return OpenAIError.BadRequest("n must be 1 for edits on this service.", "n", "unsupported_value");

        var options = services.Options.Value;
        UploadedInputs uploads;
        try
        {
            uploads = await OpenAIMasks.ReadAsync(image, form.Files.GetFile("mask"), new UploadLimits(options.MaxUploadBytes, options.MaxImageSide, options.MaxImagePixels), cancellation);
        }
        catch (UploadRejectedException e)
        {
            return new OpenAIError(e.Message, OpenAIError.InvalidRequest, e.Field, "invalid_image").ToResult(e.Status);
        }
        var generation = request.Generation;
        var parameters = services.Validator.ValidateEdit(new CreateEditRequest
        {
            Prompt = generation.Prompt, Resolution = generation.Resolution, Model = generation.Model,
            OutputFormat = generation.OutputFormat, OutputQuality = generation.OutputQuality,
        }, uploads.MaskPng is not null, out var errors);
        return parameters is null ? Refusal(errors) : await Run(parameters, uploads, request, services, blobs, logs, http, cancellation);
    }

    /// <summary>The form's fields as the JSON body of a generation: whole numbers as numbers, the rest as strings.</summary>
    static JsonElement FormFields(IFormCollection form)
    {
        var fields = new System.Text.Json.Nodes.JsonObject();
        foreach (var (name, values) in form)
            fields[name] = long.TryParse(values.ToString(), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var number)
                && name is "n" or "output_compression"
                ? System.Text.Json.Nodes.JsonValue.Create(number)
                : System.Text.Json.Nodes.JsonValue.Create(values.ToString());
        return JsonSerializer.SerializeToElement(fields);
    }

    /// <summary>Our first validation error in OpenAI's shape, naming OpenAI's parameter.</summary>
    static IResult Refusal(IDictionary<string, string[]> errors)
    {
        var (field, messages) = errors.First();
        return OpenAIError.BadRequest(messages[0], OpenAIImageRequest.ParamOf(field));
    }

    /// <summary>Queues the job, waits for it (canceling it when the wait ends first or the caller leaves) and answers with its images.</summary>
    static async Task<IResult> Run(GenerationParameters parameters, UploadedInputs? uploads, OpenAIImageRequest request, GenerationServices services, IBlobStore blobs,
        ILoggerFactory logs, HttpRequest http, CancellationToken cancellation)
    {
        var outcome = await services.Submitter.SubmitAsync(parameters, null, services.Keys.OwnerFor(http.HttpContext), GenerationResources.BaseUrl(http), cancellation, uploads);
        if (outcome.Result == CreateResult.QueueFull)
        {
            var retryAfter = services.Options.Value.QueueFullRetryAfterSeconds;
            http.HttpContext.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return new OpenAIError($"The queue is full; try again in {retryAfter} s.", "requests", null, "rate_limit_exceeded").ToResult(StatusCodes.Status429TooManyRequests);
        }
        var id = outcome.Record.Id;
        logs.CreateLogger(typeof(OpenAIImagesEndpoints)).LogInformation("OpenAI images request: job {Id}, user {User}.", id, request.User ?? "(none)");

        var wait = TimeSpan.FromSeconds(services.Options.Value.OpenAIWaitSeconds);
        GenerationRecord? record;
        try
        {
            record = await GenerationWaiter.WaitAsync(services.Store, id, wait, cancellation);
        }
        catch (OperationCanceledException)
        {
            await services.Canceller.CancelAsync(id, CancellationToken.None);
            throw;
        }
        if (record is null) return new OpenAIError($"Job {id} was deleted before it finished.", "server_error", null, "job_deleted").ToResult(StatusCodes.Status500InternalServerError);
        if (!record.Status.IsTerminal())
        {
            await services.Canceller.CancelAsync(id, CancellationToken.None);
            return new OpenAIError($"The images were not ready within {wait.TotalSeconds:0} s (Api:OpenAIWaitSeconds); job {id} was canceled.",
                "timeout_error", null, "timeout").ToResult(StatusCodes.Status504GatewayTimeout);
        }
        return record.Status switch
        {
            GenerationStatus.Succeeded => TypedResults.Ok(await Response(record, request, blobs, http, cancellation)),
            GenerationStatus.Failed when record.Error is { Code: JobError.InvalidRequest } e => OpenAIError.BadRequest(e.Message, null, e.Code),
            GenerationStatus.Failed when record.Error is { Code: JobError.ModelUnavailable } e =>
                new OpenAIError(e.Message, "server_error", "model", e.Code).ToResult(StatusCodes.Status503ServiceUnavailable),
            GenerationStatus.Failed => new OpenAIError(record.Error?.Message ?? "The job failed.", "server_error", null, record.Error?.Code)
                .ToResult(StatusCodes.Status500InternalServerError),
            _ => new OpenAIError($"Job {id} was canceled before it finished.", "server_error", null, "canceled").ToResult(StatusCodes.Status500InternalServerError),
        };
    }

    static async Task<OpenAIImagesResponse> Response(GenerationRecord record, OpenAIImageRequest request, IBlobStore blobs, HttpRequest http, CancellationToken cancellation)
    {
        var resource = record.ToResource(null, http);
        var data = new List<OpenAIImage>();
        for (var i = 0; i < record.Images.Count; i++)
        {
            if (!request.Base64)
            {
                data.Add(new OpenAIImage(resource.Images[i].Url, null, record.Images[i].DrawnAs ?? record.Parameters.Prompt));
                continue;
            }
            await using var stream = await blobs.OpenReadAsync(BlobKey.Parse(record.Images[i].Key), cancellation)
                                     ?? throw new InvalidOperationException($"Image {record.Images[i].Key} of job {record.Id} is missing from storage.");
            using var bytes = new MemoryStream();
            await stream.CopyToAsync(bytes, cancellation);
            data.Add(new OpenAIImage(null, Convert.ToBase64String(bytes.GetBuffer(), 0, (int)bytes.Length), record.Images[i].DrawnAs ?? record.Parameters.Prompt));
        }
        return new OpenAIImagesResponse(record.CreatedAt.ToUnixTimeSeconds(), data);
    }
}

/// <summary>OpenAI's answer: <c>created</c> (Unix seconds) and one entry per image.</summary>
sealed record OpenAIImagesResponse([property: JsonPropertyName("created")] long Created, [property: JsonPropertyName("data")] IReadOnlyList<OpenAIImage> Data);

/// <summary>
/// One image: its URL or its bytes in base64 (whichever <c>response_format</c> asked for), and the prompt it was drawn from:
/// the prompt as given, or for a model with a prompt vocabulary the training caption it was drawn as.
/// </summary>
sealed record OpenAIImage(
    [property: JsonPropertyName("url"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Url,
    [property: JsonPropertyName("b64_json"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? B64Json,
    [property: JsonPropertyName("revised_prompt")] string RevisedPrompt);
