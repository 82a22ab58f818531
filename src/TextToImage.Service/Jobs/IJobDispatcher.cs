namespace TextToImage.Service.Jobs;

/// <summary>Puts job ids on the generation queue (Hangfire); the queue carries nothing but the id.</summary>
public interface IJobDispatcher
{
    /// <returns>The dispatch (Hangfire job) id.</returns>
    string Enqueue(string generationId);

    /// <summary>Takes a dispatch off the queue; a no-op when it already ran.</summary>
    void Remove(string dispatchId);

    DispatchState StateOf(string? dispatchId, DateTimeOffset now);
}

public enum DispatchState
{
    /// <summary>Waiting in the queue, or scheduled for a retry.</summary>
    Waiting,

    /// <summary>Fetched by a worker recently.</summary>
    Processing,

    /// <summary>Fetched long ago, or gone from the queue (deleted, finished, expired, never made).</summary>
    Lost,
}
