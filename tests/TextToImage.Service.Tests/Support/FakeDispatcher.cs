using System.Collections.Concurrent;
using TextToImage.Service.Jobs;

namespace TextToImage.Service.Tests.Support;

/// <summary>Hands out dispatch ids and reports the states a test sets; stands in for Hangfire's queue.</summary>
sealed class FakeDispatcher : IJobDispatcher
{
    int next;
    public List<string> Enqueued { get; } = [];
    public ConcurrentQueue<string> Removed { get; } = new();
    public ConcurrentDictionary<string, DispatchState> States { get; } = new();

    public string Enqueue(string generationId)
    {
        var id = $"fake-{Interlocked.Increment(ref next)}";
        lock (Enqueued) Enqueued.Add(generationId);
        States[id] = DispatchState.Waiting;
        return id;
    }

    public void Remove(string dispatchId)
    {
        Removed.Enqueue(dispatchId);
        States[dispatchId] = DispatchState.Lost;
    }

    public DispatchState StateOf(string? dispatchId, DateTimeOffset now) =>
        dispatchId is not null && States.TryGetValue(dispatchId, out var state) ? state : DispatchState.Lost;
}
