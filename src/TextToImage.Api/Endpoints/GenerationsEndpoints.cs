using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using TextToImage.Api.Contracts;
using TextToImage.Api.Infrastructure;
using TextToImage.Service.Jobs;
using TextToImage.Service.Requests;

namespace TextToImage.Api.Endpoints;

/// <summary>/v1/generations: queue text-to-image jobs, read them, list them, cancel them.</summary>
static class GenerationsEndpoints
{
    public const int MaxIdempotencyKeyLength = 255;
    public const int MaxPageSize = 100;

    public static RouteGroupBuilder MapGenerationsApi(this RouteGroupBuilder v1)
    {
        var group = v1.MapGroup("/generations").WithTags("Generations");
        group.MapPost("/", Create).WithName("CreateGeneration").WithSummary("Queue a text-to-image job")
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType).ProducesProblem(StatusCodes.Status429TooManyRequests);
        group.MapGet("/{id}", Get).WithName("GetGeneration").WithSummary("Read a job").ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/", List).WithName("ListGenerations").WithSummary("List jobs, newest first");
        group.MapPost("/{id}/cancel", Cancel).WithName("CancelGeneration").WithSummary("Cancel a queued or running job")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapDelete("/{id}", Delete).WithName("DeleteGeneration").WithSummary("Delete a job and its images")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("/{id}/events", GenerationEvents.Stream).WithName("GenerationEvents").WithSummary("Follow a job as server-sent events")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream").ProducesProblem(StatusCodes.Status404NotFound);
        return group;
    }

    /// <summary>Queues a text-to-image job.</summary>
    /// <remarks>
    /// Answers 202 with the job and its Location at once. With <c>Prefer: wait=N</c> (N up to 60 seconds) the
    /// answer waits until the job ends or N seconds pass: 200 when it ended, else 202. With an
    /// <c>Idempotency-Key</c>, repeating the same body returns the same job; another body with the same key is a 409.
    /// </remarks>
    /// <param name="request">The prompt and options.</param>
    /// <param name="idempotencyKey">Makes retries of this request safe: at most one job per key.</param>
    /// <param name="prefer"><c>wait=N</c>: hold the answer up to N seconds for the job to finish.</param>
    static async Task<Results<Accepted<GenerationResource>, Ok<GenerationResource>, ValidationProblem, ProblemHttpResult>> Create(
        CreateGenerationRequest request,
        [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey,
        [FromHeader(Name = "Prefer")] string? prefer,
        [AsParameters] GenerationServices services, HttpContext http, CancellationToken cancellation)
    {
        var parameters = services.Validator.Validate(request, out var errors);
        if (idempotencyKey is { Length: 0 or > MaxIdempotencyKeyLength })
            errors["Idempotency-Key"] = [$"The Idempotency-Key header must have 1 to {MaxIdempotencyKeyLength} characters."];
        var wait = PreferWait.Parse(prefer, out var preferError);
        if (preferError is not null) errors["Prefer"] = [preferError];
        await services.CheckWebhookAsync(parameters, errors, cancellation);
        if (parameters is null || errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var claim = idempotencyKey is null ? null : new IdempotencyClaim($"{services.Keys.CallerOf(http)}:{idempotencyKey}", Hash(request));
        var outcome = await services.Submitter.SubmitAsync(parameters, claim, services.Keys.OwnerFor(http), GenerationResources.BaseUrl(http.Request), cancellation);
        return await Answer(outcome, wait, services, http, cancellation);
    }

    /// <summary>
    /// The answer to a submission, for every kind of job: 202 (or 200 once finished, under
    /// <c>Prefer: wait</c>) with the job and its Location, 429 when the queue is full, 409 on an
    /// Idempotency-Key reused with another request.
    /// </summary>
    internal static async Task<Results<Accepted<GenerationResource>, Ok<GenerationResource>, ValidationProblem, ProblemHttpResult>> Answer(
        CreateOutcome outcome, TimeSpan wait, GenerationServices services, HttpContext http, CancellationToken cancellation)
    {
        switch (outcome.Result)
        {
            case CreateResult.QueueFull:
                http.Response.Headers.RetryAfter = services.Options.Value.QueueFullRetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "The queue is full.",
                    detail: "Too many jobs are waiting; try again after the time in Retry-After.");
            case CreateResult.KeyConflict:
                return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The Idempotency-Key was used with another request.",
                    detail: $"Job {outcome.Record.Id} was created with this key and a different body. Use a new key for a new request.");
        }
        var record = outcome.Record;
        if (wait > TimeSpan.Zero)
        {
            http.Response.Headers["Preference-Applied"] = $"wait={(int)wait.TotalSeconds}";
            record = await GenerationWaiter.WaitAsync(services.Store, record.Id, wait, cancellation) ?? record;
        }
        var resource = await record.ToResourceAsync(services.Store, http.Request, cancellation);
        var location = GenerationResources.LocationOf(http.Request, record.Id);
        if (record.Status.IsTerminal())
        {
            http.Response.Headers.Location = location;
            return TypedResults.Ok(resource);
        }
        return TypedResults.Accepted(location, resource);
    }

    /// <summary>Reads a job: status, progress, images, errors, timings.</summary>
    /// <remarks>
    /// Poll it after a 202 (its URL is the Location), or follow <c>/events</c> instead of polling. The answer may be up to
    /// 0.25 s old (workers write progress about that often), except right after a cancel or delete sent to the same server.
    /// </remarks>
    static async Task<Results<Ok<GenerationResource>, ProblemHttpResult>> Get(string id, [AsParameters] GenerationServices services, HttpContext http,
        CancellationToken cancellation) =>
        await services.Reads.GetAsync(id, cancellation) is ({ } record, var position) && services.Keys.MaySee(http, record)
            ? TypedResults.Ok(record.ToResource(position, http.Request))
            : NotFound(id);

    /// <summary>Lists jobs, newest first.</summary>
    /// <remarks>Pages of <c>limit</c> jobs; pass a page's <c>nextCursor</c> as <c>cursor</c> for the next, until it is null.</remarks>
    /// <param name="status">Only jobs in this status.</param>
    /// <param name="limit">Page size, 1 to 100 (default 20).</param>
    /// <param name="cursor">The <c>nextCursor</c> of the previous page.</param>
    static async Task<Results<Ok<GenerationPage>, ValidationProblem>> List(string? status, int? limit, string? cursor,
        [AsParameters] GenerationServices services, HttpContext http, CancellationToken cancellation)
    {
        var errors = new Dictionary<string, string[]>();
        GenerationStatus? filter = null;
        if (status is not null)
        {
            if (GenerationStatuses.TryParse(status, out var parsed)) filter = parsed;
            else errors["status"] = [$"Unknown status '{status}'; use queued, running, succeeded, failed or canceled."];
        }
        if (limit is < 1 or > MaxPageSize) errors["limit"] = [$"limit must be between 1 and {MaxPageSize}."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var size = limit ?? 20;
        var records = await services.Store.ListAsync(filter, size + 1, cursor, services.Keys.VisibleOwner(http), cancellation);
        var page = new List<GenerationResource>();
        foreach (var record in records.Take(size)) page.Add(await record.ToResourceAsync(services.Store, http.Request, cancellation));
        return TypedResults.Ok(new GenerationPage(page, records.Count > size ? page[^1].Id : null));
    }

    /// <summary>Cancels a job.</summary>
    /// <remarks>
    /// A queued job is canceled at once (200); a running job is asked to stop and does so within one sampler
    /// step (202; poll until <c>canceled</c>). Canceling a canceled job is a 200; a finished job, a 409.
    /// </remarks>
    static async Task<Results<Ok<GenerationResource>, Accepted<GenerationResource>, ProblemHttpResult>> Cancel(string id,
        [AsParameters] GenerationServices services, HttpContext http, CancellationToken cancellation)
    {
        if (await services.Store.GetAsync(id, cancellation) is not { } seen || !services.Keys.MaySee(http, seen)) return NotFound(id);
        var outcome = await services.Canceller.CancelAsync(id, cancellation);
        services.Reads.Forget(id);
        if (outcome.Record is not { } record) return NotFound(id);
        var resource = record.ToResource(null, http.Request);
        return outcome.Result switch
        {
            CancelResult.Requested => TypedResults.Accepted(GenerationResources.LocationOf(http.Request, id), resource),
            CancelResult.Finished => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The job has finished.",
                detail: $"Job {id} is {record.Status.Name()}; only queued or running jobs can be canceled."),
            _ => TypedResults.Ok(resource),
        };
    }

    /// <summary>Deletes a job with its images and uploads.</summary>
    /// <remarks>
    /// 204 once the job and everything it stored are gone (its image URLs then answer 404); 409 while it runs (cancel it
    /// first); 404 for an unknown job. Finished jobs are also deleted by themselves after <c>Jobs:Retention</c> (7 days).
    /// </remarks>
    static async Task<Results<NoContent, ProblemHttpResult>> Delete(string id, [AsParameters] GenerationServices services, HttpContext http,
        CancellationToken cancellation)
    {
        if (await services.Store.GetAsync(id, cancellation) is not { } seen || !services.Keys.MaySee(http, seen)) return NotFound(id);
        var outcome = await services.Deletion.DeleteAsync(id, cancellation);
        services.Reads.Forget(id);
        return outcome.Result switch
        {
            DeleteResult.Deleted => TypedResults.NoContent(),
            DeleteResult.Running => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The job is running.",
                detail: $"Job {id} is running; cancel it (POST /v1/generations/{id}/cancel), then delete it."),
            _ => NotFound(id),
        };
    }

    public static ProblemHttpResult NotFound(string id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such generation.", detail: $"There is no generation with id '{id}'.");

    /// <summary>Same key, same body: the hash of the request as bound, so formatting and field order do not matter.</summary>
    static string Hash(CreateGenerationRequest request) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(request))));
}
