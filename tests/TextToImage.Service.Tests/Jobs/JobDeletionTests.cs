using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using TextToImage.Service.Blobs;
using TextToImage.Service.Hosting;
using TextToImage.Service.Jobs;
using TextToImage.Service.Tests.Support;

namespace TextToImage.Service.Tests.Jobs;

/// <summary>The retention sweep on a real SQLite store and blob folder.</summary>
public sealed class JobDeletionTests : IDisposable
{
    readonly TempFolder folder = new();
    static readonly CancellationToken None = CancellationToken.None;

    public void Dispose() => folder.Dispose();

    [Fact]
    public async Task The_sweep_deletes_jobs_finished_before_the_retention_with_all_their_blobs_and_keeps_the_rest()
    {
        var store = new SqliteJobStore(folder["jobs.db"]);
        var blobs = new FileSystemBlobStore(folder["blobs"]);
        var deletion = new JobDeletion(store, blobs, Options.Create(new JobsOptions { Retention = TimeSpan.FromDays(7) }), TimeProvider.System,
            NullLogger<JobDeletion>.Instance);

        async Task<GenerationRecord> Job(TimeSpan endedAgo)
        {
            var record = Records.Queued() with { Inputs = null };
            await store.CreateAsync(record, null, 100, None);
            var lease = Records.Lease();
            await store.TryClaimAsync(record.Id, "d", lease, DateTimeOffset.UtcNow, None);
            var stage = new StoredImage(BlobKey.ForStageImage(record.Id, 0, 0, "png").Value, 16, 16, 7);
            var final = new StoredImage(BlobKey.ForImage(record.Id, 0, "png").Value, 32, 32, 7);
            foreach (var image in new[] { stage, final }) await blobs.PutAsync(BlobKey.Parse(image.Key), new byte[] { 1, 2, 3 }, "image/png", None);
            await store.AddStageImagesAsync(record.Id, lease.Owner, new StageOutput("base", 0, 16, [stage]), None);
            await store.CompleteAsync(record.Id, lease.Owner, new JobCompletion(GenerationStatus.Succeeded, DateTimeOffset.UtcNow - endedAgo, [final], null, null), None);
            return record;
        }
        var old = await Job(TimeSpan.FromDays(8));
        var recent = await Job(TimeSpan.FromDays(1));

        Assert.Equal(1, await deletion.SweepAsync(None));
        Assert.Null(await store.GetAsync(old.Id, None));
        Assert.False(Directory.Exists(Path.Combine(folder["blobs"], old.Id)));
        Assert.NotNull(await store.GetAsync(recent.Id, None));
        Assert.Equal(2, Directory.GetFiles(Path.Combine(folder["blobs"], recent.Id), "*", SearchOption.AllDirectories).Length);
        Assert.Equal(0, await deletion.SweepAsync(None));
    }
}
