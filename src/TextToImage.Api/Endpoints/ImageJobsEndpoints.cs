using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using SixLabors.ImageSharp.PixelFormats;
using TextToImage.Api.Contracts;
using TextToImage.Api.Infrastructure;
using TextToImage.Service.Jobs;
using TextToImage.Service.Requests;

namespace TextToImage.Api.Endpoints;

/// <summary>
/// /v1/edits and /v1/upscales: jobs on an uploaded picture. They are generations in every other
/// respect (same records, queue, events and storage; read them under /v1/generations/{id}); the
/// validated uploads are stored as PNGs under the job's keys and linked from it as <c>inputs</c>.
/// </summary>
static class ImageJobsEndpoints
{
    public static RouteGroupBuilder MapImageJobsApi(this RouteGroupBuilder v1)
    {
        // An API authenticated by key, not a browser form: antiforgery tokens would only get in the way.
        v1.MapPost("/edits", Edit).WithTags("Edits").WithName("CreateEdit").WithSummary("Queue an image-to-image or inpainting job")
            .DisableAntiforgery().WithMetadata(new AcceptsUploads()).Accepts<EditForm>("multipart/form-data").Problems();
        v1.MapPost("/upscales", Upscale).WithTags("Upscales").WithName("CreateUpscale").WithSummary("Queue a super-resolution job")
            .DisableAntiforgery().WithMetadata(new AcceptsUploads()).Accepts<UpscaleForm>("multipart/form-data").Problems();
        return v1;
    }

    public static bool IsUploadPath(PathString path) => path.StartsWithSegments("/v1/edits") || path.StartsWithSegments("/v1/upscales");

    static RouteHandlerBuilder Problems(this RouteHandlerBuilder endpoint) =>
        endpoint.ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType).ProducesProblem(StatusCodes.Status429TooManyRequests);

    /// <summary>Queues an image-to-image (SDEdit) or, with a mask, inpainting job.</summary>
    /// <remarks>
    /// Multipart form: <c>image</c> (PNG, JPEG or WebP), optional <c>mask</c> of the same size (white = repaint).
    /// int(steps × strength) steps run from the picture noised to that point. Answers as POST /v1/generations:
    /// 202 with the job (kind <c>edit</c>); 413 over Api:MaxUploadBytes, 415 for another format, 400 for a
    /// corrupt file, a picture over the pixel limits, or a mask of another size.
    /// </remarks>
    /// <param name="idempotencyKey">Makes retries safe: at most one job per key (the files count as part of the request).</param>
    /// <param name="prefer"><c>wait=N</c>: hold the answer up to N seconds for the job to finish.</param>
    static async Task<Results<Accepted<GenerationResource>, Ok<GenerationResource>, ValidationProblem, ProblemHttpResult>> Edit(
        [FromForm] EditForm form,
        [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey,
        [FromHeader(Name = "Prefer")] string? prefer,
        [AsParameters] GenerationServices services, HttpContext http, CancellationToken cancellation)
    {
        var request = new CreateEditRequest
        {
            Prompt = form.Prompt, NegativePrompt = form.NegativePrompt, Strength = form.Strength, Seed = form.Seed, Steps = form.Steps,
            GuidanceScale = form.GuidanceScale, Sampler = form.Sampler, Resolution = form.Resolution, Model = form.Model,
            JumpLength = form.JumpLength, JumpCount = form.JumpCount, OutputFormat = form.OutputFormat, OutputQuality = form.OutputQuality,
            Webhook = form.Webhook, WebhookEventsFilter = form.WebhookEventsFilter,
        };
        var parameters = services.Validator.ValidateEdit(request, form.Mask is not null, out var errors);
        return await Submit(parameters, errors, request, form.Image, form.Mask, idempotencyKey, prefer, services, http, cancellation);
    }

    /// <summary>Queues a super-resolution job: the model's super-resolution stages on an uploaded picture.</summary>
    /// <remarks>
    /// Multipart form: <c>image</c> (PNG, JPEG or WebP), resized to the base resolution and taken up to
    /// <c>resolution</c>. Answers as POST /v1/generations (kind <c>upscale</c>), with the upload errors of POST /v1/edits.
    /// </remarks>
    /// <param name="idempotencyKey">Makes retries safe: at most one job per key (the file counts as part of the request).</param>
    /// <param name="prefer"><c>wait=N</c>: hold the answer up to N seconds for the job to finish.</param>
    static async Task<Results<Accepted<GenerationResource>, Ok<GenerationResource>, ValidationProblem, ProblemHttpResult>> Upscale(
        [FromForm] UpscaleForm form,
        [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey,
        [FromHeader(Name = "Prefer")] string? prefer,
        [AsParameters] GenerationServices services, HttpContext http, CancellationToken cancellation)
    {
        var request = new CreateUpscaleRequest
        {
            Prompt = form.Prompt, NoiseLevel = form.NoiseLevel, Seed = form.Seed, Resolution = form.Resolution, Model = form.Model,
            OutputFormat = form.OutputFormat, OutputQuality = form.OutputQuality, Webhook = form.Webhook, WebhookEventsFilter = form.WebhookEventsFilter,
        };
        var parameters = services.Validator.ValidateUpscale(request, out var errors);
        return await Submit(parameters, errors, request, form.Image, null, idempotencyKey, prefer, services, http, cancellation);
    }

    static async Task<Results<Accepted<GenerationResource>, Ok<GenerationResource>, ValidationProblem, ProblemHttpResult>> Submit(
        GenerationParameters? parameters, IDictionary<string, string[]> errors, object request, IFormFile? image, IFormFile? mask,
        string? idempotencyKey, string? prefer, GenerationServices services, HttpContext http, CancellationToken cancellation)
    {
        if (idempotencyKey is { Length: 0 or > GenerationsEndpoints.MaxIdempotencyKeyLength })
            errors["Idempotency-Key"] = [$"The Idempotency-Key header must have 1 to {GenerationsEndpoints.MaxIdempotencyKeyLength} characters."];
        var wait = PreferWait.Parse(prefer, out var preferError);
        if (preferError is not null) errors["Prefer"] = [preferError];
        if (image is null) errors["image"] = ["The image file is required (multipart field 'image')."];
        await services.CheckWebhookAsync(parameters, errors, cancellation);
        if (parameters is null || errors.Count > 0) return TypedResults.ValidationProblem(errors);

        UploadedInputs uploads;
        try
        {
            uploads = await ReadUploads(image!, mask, services.Options.Value, cancellation);
        }
        catch (UploadRejectedException e) when (e.Status == UploadedImages.Invalid)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [e.Field] = [e.Message] });
        }
        catch (UploadRejectedException e)
        {
            var title = e.Status == UploadedImages.TooLarge ? "The upload is too large." : "The upload has an unsupported format.";
            return TypedResults.Problem(statusCode: e.Status, title: title, detail: e.Message);
        }

        var claim = idempotencyKey is null ? null
            : new IdempotencyClaim($"{services.Keys.CallerOf(http)}:{idempotencyKey}", Hash(request, uploads));
        var outcome = await services.Submitter.SubmitAsync(parameters, claim, services.Keys.OwnerFor(http), GenerationResources.BaseUrl(http.Request), cancellation, uploads);
        return await GenerationsEndpoints.Answer(outcome, wait, services, http, cancellation);
    }

    /// <summary>Both pictures validated and normalised to PNG; a mask must have the picture's size.</summary>
    static async Task<UploadedInputs> ReadUploads(IFormFile image, IFormFile? mask, ApiOptions options, CancellationToken cancellation)
    {
        var limits = new UploadLimits(options.MaxUploadBytes, options.MaxImageSide, options.MaxImagePixels);
        var (imagePng, width, height) = UploadedImages.NormalisedPng<Rgb24>(await FormFiles.ReadAsync(image, "image", limits, cancellation), "image", limits);
        if (mask is null) return new UploadedInputs(imagePng, null);
        var (maskPng, maskWidth, maskHeight) = UploadedImages.NormalisedPng<L8>(await FormFiles.ReadAsync(mask, "mask", limits, cancellation), "mask", limits);
        if ((maskWidth, maskHeight) != (width, height))
            throw new UploadRejectedException(UploadedImages.Invalid, "mask", $"The mask is {maskWidth}x{maskHeight} pixels but the image is {width}x{height}.");
        return new UploadedInputs(imagePng, maskPng);
    }

    /// <summary>Same key, same request: the fields as bound and the normalised pictures' hashes.</summary>
    static string Hash(object request, UploadedInputs uploads)
    {
        var text = JsonSerializer.Serialize(request, request.GetType()) + Convert.ToHexString(SHA256.HashData(uploads.ImagePng))
                   + (uploads.MaskPng is null ? "" : Convert.ToHexString(SHA256.HashData(uploads.MaskPng)));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}
