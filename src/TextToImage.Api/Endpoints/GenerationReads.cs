using System.Collections.Concurrent;
using TextToImage.Api.Contracts;
using TextToImage.Service.Jobs;

namespace TextToImage.Api.Endpoints;

/// <summary>
/// What status polls and event streams read: a job's record with its queue position, shared by all
/// requests of this process for up to <see cref="MaxAge"/>. A poll costs a store query otherwise
/// (measured: the query alone halves the requests per second a process serves), and many clients
/// polling or following one job would each make their own. A worker writes progress at most every
/// <c>Jobs:ProgressInterval</c> (250 ms), so a reader sees little it would not have seen anyway.
/// Cancel and delete through this process forget the job at once, so a caller reads its own writes;
/// other processes' writes show within <see cref="MaxAge"/>. Absent jobs are not remembered: a job
/// just created through another process is never hidden.
/// </summary>
sealed class GenerationReads(IJobStore store, TimeProvider clock)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromMilliseconds(250);

    /// <summary>Beyond this many jobs read within <see cref="MaxAge"/> the copies are dropped rather than grown.</summary>
    const int MaxEntries = 10_000;

    readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);

    sealed record Entry(GenerationRecord Record, int? QueuePosition, long ReadAt);

    public async Task<(GenerationRecord? Record, int? QueuePosition)> GetAsync(string id, CancellationToken cancellation)
    {
        var now = clock.GetTimestamp();
        if (entries.TryGetValue(id, out var entry) && clock.GetElapsedTime(entry.ReadAt, now) < MaxAge) return (entry.Record, entry.QueuePosition);
        if (await store.GetAsync(id, cancellation) is not { } record)
        {
            entries.TryRemove(id, out _);
            return (null, null);
        }
        var position = await record.QueuePositionAsync(store, cancellation);
        if (entries.Count >= MaxEntries) entries.Clear();
        entries[id] = new Entry(record, position, now);
        return (record, position);
    }

    /// <summary>After this process changed the job: the next read goes to the store.</summary>
    public void Forget(string id) => entries.TryRemove(id, out _);
}
