using System.Collections.Concurrent;

namespace TextToImage.Service.Jobs;

/// <summary>
/// The jobs running in this process, so a cancel request served by the same process stops its job
/// at once; jobs in other processes see the request at their next poll of the store.
/// </summary>
public sealed class RunningJobs
{
    readonly ConcurrentDictionary<string, Action> cancellers = new(StringComparer.Ordinal);

    public IDisposable Register(string id, Action cancel)
    {
        cancellers[id] = cancel;
        return new Registration(() => cancellers.TryRemove(id, out _));
    }

    /// <summary>True when the job runs here and was told to stop.</summary>
    public bool TryCancel(string id)
    {
        if (!cancellers.TryGetValue(id, out var cancel)) return false;
        cancel();
        return true;
    }

    sealed class Registration(Action remove) : IDisposable
    {
        public void Dispose() => remove();
    }
}
