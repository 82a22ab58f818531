using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using Microsoft.Extensions.Options;
using TextToImage.Service.Hosting;

namespace TextToImage.Service.Jobs;

/// <summary>Dispatches through Hangfire onto the configured generation queue.</summary>
public sealed class HangfireJobDispatcher(IBackgroundJobClient client, JobStorage storage, IOptions<JobsOptions> options) : IJobDispatcher
{
    public string Enqueue(string generationId) =>
        client.Create<GenerationJob>(job => job.RunAsync(generationId, null, CancellationToken.None), new EnqueuedState(options.Value.Queue));

    public void Remove(string dispatchId) => client.Delete(dispatchId);

    public DispatchState StateOf(string? dispatchId, DateTimeOffset now)
    {
        if (dispatchId is null) return DispatchState.Lost;
        using var connection = storage.GetConnection();
        var state = connection.GetStateData(dispatchId);
        if (state is null) return DispatchState.Lost;
        if (state.Name == EnqueuedState.StateName)
            return FetchedBy(dispatchId) is { } fetchedAt && now - fetchedAt >= options.Value.LeaseDuration ? DispatchState.Lost : DispatchState.Waiting;
        if (state.Name == ScheduledState.StateName || state.Name == AwaitingState.StateName)
            return DispatchState.Waiting;
        if (state.Name != ProcessingState.StateName) return DispatchState.Lost;
        // A worker that fetched the job but died before claiming its record leaves it Processing
        // for Hangfire's 30-minute invisibility timeout; past a lease, call it lost.
        var startedAt = state.Data.TryGetValue("StartedAt", out var text) ? JobHelper.DeserializeNullableDateTime(text) : null;
        return startedAt is { } started && now - new DateTimeOffset(DateTime.SpecifyKind(started, DateTimeKind.Utc)) < options.Value.LeaseDuration
            ? DispatchState.Processing
            : DispatchState.Lost;
    }

    /// <summary>
    /// When a server took the dispatch off the queue, if one did. A server that dies between fetching a
    /// job and starting it (a SIGKILL in that moment) leaves it fetched and still Enqueued, invisible to
    /// the other servers until the storage's invisibility timeout; a live server moves it to Processing
    /// within milliseconds, so a dispatch fetched a lease ago and still Enqueued is lost.
    /// </summary>
    DateTimeOffset? FetchedBy(string dispatchId)
    {
        var fetched = storage.GetMonitoringApi().FetchedJobs(options.Value.Queue, 0, MaxFetchedScanned);
        return fetched.FirstOrDefault(job => job.Key == dispatchId).Value?.FetchedAt is { } at
            ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc))
            : null;
    }

    /// <summary>Fetched dispatches are at most one per worker process; this bounds the scan.</summary>
    const int MaxFetchedScanned = 1000;
}
