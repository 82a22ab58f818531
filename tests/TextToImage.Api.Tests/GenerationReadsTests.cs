using TextToImage.Api.Endpoints;
using TextToImage.Service.Jobs;

namespace TextToImage.Api.Tests;

/// <summary>The polls' shared copy of a job: how old it may be, and what makes it go.</summary>
public sealed class GenerationReadsTests : IDisposable
{
    readonly TempFolder folder = new();
    readonly SqliteJobStore store;
    readonly ManualClock clock = new();
    readonly GenerationReads reads;

    public GenerationReadsTests()
    {
        store = new SqliteJobStore(folder["jobs.db"]);
        reads = new GenerationReads(store, clock);
    }

    static GenerationRecord Queued() => new()
    {
        Id = JobIds.Next(),
        Status = GenerationStatus.Queued,
        CreatedAt = DateTimeOffset.UtcNow,
        Parameters = new GenerationParameters
        {
            Prompt = "a red apple", NumImages = 1, Seed = 1, GuidanceScale = 4, Steps = 2, Sampler = "ddim", Resolution = 16, Model = "tiny",
        },
    };

    async Task<GenerationRecord> Create()
    {
        var record = Queued();
        await store.CreateAsync(record, null, 100, CancellationToken.None);
        return record;
    }

    [Fact]
    public async Task A_copy_is_served_until_it_is_older_than_the_limit_then_the_store_is_read_again()
    {
        var first = await Create();
        var second = await Create();
        Assert.Equal(2, (await reads.GetAsync(second.Id, CancellationToken.None)).QueuePosition);

        // Another process changes the record (here: the store directly): the copy still stands, not yet too old.
        await store.RequestCancelAsync(first.Id, DateTimeOffset.UtcNow, CancellationToken.None);
        clock.Advance(GenerationReads.MaxAge - TimeSpan.FromMilliseconds(1));
        Assert.Equal(2, (await reads.GetAsync(second.Id, CancellationToken.None)).QueuePosition);

        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, (await reads.GetAsync(second.Id, CancellationToken.None)).QueuePosition);
    }

    [Fact]
    public async Task Forgetting_a_job_reads_it_from_the_store_at_once()
    {
        var record = await Create();
        Assert.Equal(GenerationStatus.Queued, (await reads.GetAsync(record.Id, CancellationToken.None)).Record!.Status);
        await store.RequestCancelAsync(record.Id, DateTimeOffset.UtcNow, CancellationToken.None);
        reads.Forget(record.Id);
        Assert.Equal(GenerationStatus.Canceled, (await reads.GetAsync(record.Id, CancellationToken.None)).Record!.Status);
    }

    [Fact]
    public async Task An_absent_job_is_not_remembered()
    {
        var record = Queued();
        Assert.Null((await reads.GetAsync(record.Id, CancellationToken.None)).Record);
        await store.CreateAsync(record, null, 100, CancellationToken.None);   // created through another process
        Assert.Equal(record.Id, (await reads.GetAsync(record.Id, CancellationToken.None)).Record!.Id);

        await store.DeleteAsync(record.Id, CancellationToken.None);
        clock.Advance(GenerationReads.MaxAge);
        Assert.Null((await reads.GetAsync(record.Id, CancellationToken.None)).Record);
    }

    public void Dispose() => folder.Dispose();

    /// <summary>A clock that moves only when told.</summary>
    sealed class ManualClock : TimeProvider
    {
        long ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => ticks;

        public void Advance(TimeSpan by) => ticks += by.Ticks;
    }
}
