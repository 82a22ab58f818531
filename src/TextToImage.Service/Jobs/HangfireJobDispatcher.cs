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
        if (state.Name == EnqueuedState.StateName || state.Name == ScheduledState.StateName || state.Name == AwaitingState.StateName)
            return DispatchState.Waiting;
        if (state.Name != ProcessingState.StateName) return DispatchState.Lost;
        // A worker that fetched the job but died before claiming its record leaves it Processing
        // for Hangfire's 30-minute invisibility timeout; past a lease, call it lost.
        var startedAt = state.Data.TryGetValue("StartedAt", out var text) ? JobHelper.DeserializeNullableDateTime(text) : null;
        return startedAt is { } started && now - new DateTimeOffset(DateTime.SpecifyKind(started, DateTimeKind.Utc)) < options.Value.LeaseDuration
            ? DispatchState.Processing
            : DispatchState.Lost;
    }
}
