using TextToImage.Service.Jobs;

namespace TextToImage.Api.Endpoints;

/// <summary>Polls a job's record until it ends or time runs out; works whichever process runs the job.</summary>
static class GenerationWaiter
{
    static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    public static async Task<GenerationRecord?> WaitAsync(IJobStore store, string id, TimeSpan timeout, CancellationToken cancellation)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(timeout);
        var record = await store.GetAsync(id, cancellation);
        try
        {
            while (record is { } r && !r.Status.IsTerminal())
            {
                await Task.Delay(PollInterval, deadline.Token);
                record = await store.GetAsync(id, cancellation);
            }
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
        }
        return record;
    }
}
