namespace TextToImage.Service.Models;

/// <summary>
/// The device, one run at a time, and the jobs waiting for it that may share a run (a serving batch). A job
/// that can share waits in <see cref="Batched"/>; whichever waiting thread gets the device next takes its own
/// job and every compatible job waiting behind it, up to the batch's image budget, and runs them together;
/// the others find their result done when the device is theirs. Nothing waits for a batch to fill: a batch
/// is what queued up while the device was busy, so a lone job starts at once.
/// </summary>
public sealed class DeviceQueue<TJob> where TJob : QueuedJob
{
    readonly SemaphoreSlim device = new(1, 1);
    readonly List<TJob> waiting = [];
    int waitingAlone;

    /// <summary>Jobs waiting for the device: those no batch has taken yet, and those that will run alone.</summary>
    public int Waiting
    {
        get
        {
            lock (waiting) return waiting.Count + Volatile.Read(ref waitingAlone);
        }
    }

    /// <summary>Runs <paramref name="work"/> alone once the device is free.</summary>
    public T Alone<T>(Func<T> work, CancellationToken cancellation)
    {
        Interlocked.Increment(ref waitingAlone);
        try
        {
            device.Wait(cancellation);
        }
        finally
        {
            Interlocked.Decrement(ref waitingAlone);
        }
        try
        {
            return work();
        }
        finally
        {
            device.Release();
        }
    }

    /// <summary>
    /// Waits for <paramref name="job"/>'s result, running a batch when this thread gets the device first.
    /// <paramref name="form"/> picks, from the job and those waiting (in arrival order, the job first), the batch to run
    /// (the job always in it); <paramref name="run"/> runs it and completes every member.
    /// </summary>
    public IReadOnlyList<StageFiles> Batched(TJob job, Func<TJob, IReadOnlyList<TJob>, IReadOnlyList<TJob>> form, Action<IReadOnlyList<TJob>> run,
        CancellationToken cancellation)
    {
        lock (waiting) waiting.Add(job);
        try
        {
            device.Wait(cancellation);
        }
        catch (OperationCanceledException)
        {
            // Cancelled while waiting: gone from the queue, unless a batch already took it (it then ends there, at its first step).
            lock (waiting)
                if (waiting.Remove(job))
                    throw;
            return job.Result();
        }
        try
        {
            if (!job.Taken) Lead(job, form, run);
        }
        finally
        {
            device.Release();
        }
        return job.Result();
    }

    void Lead(TJob job, Func<TJob, IReadOnlyList<TJob>, IReadOnlyList<TJob>> form, Action<IReadOnlyList<TJob>> run)
    {
        IReadOnlyList<TJob> batch;
        lock (waiting)
        {
            try
            {
                batch = form(job, [.. waiting.Where(w => !ReferenceEquals(w, job))]);
            }
            catch
            {
                // The job cannot run (its model does not load, its request is invalid): it leaves the queue with the error.
                waiting.Remove(job);
                throw;
            }
            foreach (var member in batch)
            {
                member.Taken = true;
                waiting.Remove(member);
            }
        }
        try
        {
            run(batch);
            // A member the run forgot would wait forever.
            foreach (var member in batch) member.Fail(new InvalidOperationException("The batch ended without this job's result."));
        }
        catch (Exception e)
        {
            foreach (var member in batch) member.Fail(e);
        }
    }
}

/// <summary>A job waiting in <see cref="DeviceQueue{TJob}"/>: whether a batch took it, and its result once run.</summary>
public abstract class QueuedJob
{
    readonly TaskCompletionSource<IReadOnlyList<StageFiles>> done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Set (under the queue's lock) by the batch that takes it.</summary>
    internal bool Taken { get; set; }

    public void Succeed(IReadOnlyList<StageFiles> stages) => done.TrySetResult(stages);

    /// <summary>Ends the job with <paramref name="error"/>, unless it has already ended.</summary>
    public void Fail(Exception error) => done.TrySetException(error);

    /// <summary>Waits for the result; rethrows the batch's error (or the job's cancellation) as this job's.</summary>
    internal IReadOnlyList<StageFiles> Result() => done.Task.GetAwaiter().GetResult();
}
