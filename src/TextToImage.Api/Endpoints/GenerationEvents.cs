using System.Diagnostics;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http.HttpResults;
using TextToImage.Api.Contracts;
using TextToImage.Api.Infrastructure;
using TextToImage.Service.Jobs;

namespace TextToImage.Api.Endpoints;

/// <summary>
/// A job as server-sent events, read from its record a few times a second (so it works whichever
/// process runs the job): <c>status</c> when the status changes (the generation), <c>progress</c>
/// after steps (the progress), <c>stage</c> when a stage's images are stored, and finally
/// <c>end</c> with the finished generation, after which the stream closes. A quiet stream (a job
/// waiting in the queue) gets a <c>ping</c> every 15 seconds, so proxies do not close it as idle.
/// </summary>
static class GenerationEvents
{
    static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    /// <summary>Follows a job until it ends.</summary>
    /// <remarks>
    /// Server-sent events: <c>status</c> when the status changes (data: the generation), <c>progress</c> after sampler steps,
    /// <c>stage</c> when a stage's images are stored (the low-resolution base first), a <c>ping</c> every 15 seconds while
    /// the job waits, and finally <c>end</c> with the finished generation, after which the stream closes.
    /// </remarks>
    public static async Task<Results<ServerSentEventsResult<object>, ProblemHttpResult>> Stream(string id, GenerationReads reads, ApiKeys keys, HttpContext http,
        CancellationToken cancellation)
    {
        var (first, position) = await reads.GetAsync(id, cancellation);
        return first is null || !keys.MaySee(http, first)
            ? GenerationsEndpoints.NotFound(id)
            : TypedResults.ServerSentEvents(Events(first, position, reads, http.Request, cancellation));
    }

    static async IAsyncEnumerable<SseItem<object>> Events(GenerationRecord record, int? queuePosition, GenerationReads reads, HttpRequest request,
        [EnumeratorCancellation] CancellationToken cancellation)
    {
        GenerationStatus? status = null;
        JobProgress? progress = null;
        var stages = 0;
        var quiet = Stopwatch.StartNew();
        while (true)
        {
            var resource = record.ToResource(queuePosition, request);
            if (record.Status != status)
            {
                status = record.Status;
                quiet.Restart();
                yield return new SseItem<object>(resource, "status");
            }
            if (record.Progress is { } p && p != progress && resource.Progress is { } shown)
            {
                progress = p;
                quiet.Restart();
                yield return new SseItem<object>(shown, "progress");
            }
            foreach (var stage in resource.StageImages.Skip(stages)) yield return new SseItem<object>(stage, "stage");
            stages = resource.StageImages.Count;
            if (quiet.Elapsed >= KeepAlive)
            {
                quiet.Restart();
                yield return new SseItem<object>(new { resource.Status, resource.QueuePosition }, "ping");
            }
            if (record.Status.IsTerminal())
            {
                yield return new SseItem<object>(resource, "end");
                yield break;
            }
            await Task.Delay(PollInterval, cancellation);
            // Deleted meanwhile (a queued job can be): the stream closes without an end; a read of the job answers 404.
            if (await reads.GetAsync(record.Id, cancellation) is not ({ } next, var position)) yield break;
            (record, queuePosition) = (next, position);
        }
    }
}
