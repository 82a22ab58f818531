using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using TextToImage.Service.Blobs;
using TextToImage.Service.Hosting;
using TextToImage.Service.Jobs;
using TextToImage.Service.Models;
using TextToImage.Service.Tests.Support;

namespace TextToImage.Service.Tests.Jobs;

public sealed class GenerationJobTests : IDisposable
{
    static readonly CancellationToken None = CancellationToken.None;
    readonly TempFolder folder = new();
    readonly SqliteJobStore store;
    readonly FileSystemBlobStore blobs;
    readonly FakeEngine engine = new();
    readonly RunningJobs running = new();
    readonly JobsOptions options = new()
    {
        MaxAttempts = 2,
        ProgressInterval = TimeSpan.FromMilliseconds(20),
        CancellationPollInterval = TimeSpan.FromMilliseconds(20),
    };

    public GenerationJobTests()
    {
        store = new SqliteJobStore(folder["jobs.db"]);
        blobs = new FileSystemBlobStore(folder["images"]);
    }

    public void Dispose() => folder.Dispose();

    GenerationJob Job() => new(store, blobs, engine, running, Options.Create(options), TimeProvider.System,
        new TextToImage.Service.Telemetry.ServiceMetrics(new TestMeterFactory()), NullLogger<GenerationJob>.Instance);

    async Task<GenerationRecord> Queue(int numImages = 2, int resolution = 32)
    {
        var record = Records.Queued(parameters: Records.Parameters(numImages, seed: 100, resolution: resolution));
        await store.CreateAsync(record, null, 100, None);
        await store.SetDispatchAsync(record.Id, "d1", None);
        return record;
    }

    async Task<GenerationRecord> Read(string id) => (await store.GetAsync(id, None))!;

    /// <summary>Starts a run whose generation blocks until canceled, and waits until it is under way.</summary>
    async Task<Task> StartBlockedRun(GenerationRecord record, CancellationToken shutdown = default)
    {
        engine.Behaviour = token => token.WaitHandle.WaitOne(TimeSpan.FromMinutes(2));
        var run = Job().PerformAsync(record.Id, "d1", shutdown);
        await engine.Started.WaitAsync(TimeSpan.FromMinutes(1));
        return run;
    }

    [Fact]
    public async Task A_job_stores_its_images_and_succeeds()
    {
        var record = await Queue();
        await Job().PerformAsync(record.Id, "d1", None);

        var done = await Read(record.Id);
        Assert.Equal(GenerationStatus.Succeeded, done.Status);
        Assert.Equal([$"{record.Id}/0.png", $"{record.Id}/1.png"], done.Images.Select(i => i.Key));
        Assert.Equal([100L, 101L], done.Images.Select(i => i.Seed));
        Assert.All(done.Images, i => Assert.Equal((32, 32), (i.Width, i.Height)));
        foreach (var image in done.Images)
            Assert.Equal(4, (await blobs.GetPropertiesAsync(BlobKey.Parse(image.Key), None))?.Length);

        // The base stage is a progressive result; the last stage's images are the output.
        var stage = Assert.Single(done.StageImages);
        Assert.Equal((0, 16), (stage.StageIndex, stage.Resolution));
        Assert.Equal($"{record.Id}/stage-0/1.png", stage.Images[1].Key);
        Assert.NotNull(await blobs.GetPropertiesAsync(BlobKey.Parse(stage.Images[1].Key), None));

        Assert.Equal(1, done.Attempts);
        Assert.Equal(2, done.Metrics?.StageSeconds.Count);
        Assert.True(done.Metrics?.RunSeconds > 0);
        Assert.Null(done.Lease);
    }

    [Fact]
    public async Task A_finished_job_is_never_redone()
    {
        var record = await Queue();
        await Job().PerformAsync(record.Id, "d1", None);
        await Job().PerformAsync(record.Id, "d1", None);
        Assert.Equal(1, engine.Calls);
        Assert.Equal(1, (await Read(record.Id)).Attempts);
    }

    [Fact]
    public async Task A_second_delivery_of_a_running_job_does_nothing()
    {
        // Hangfire's SQLite storage hands a job out again after its invisibility timeout, running or not.
        var record = await Queue();
        var run = await StartBlockedRun(record);
        await Job().PerformAsync(record.Id, "d1", None);
        Assert.Equal(1, engine.Calls);
        Assert.Equal(1, (await Read(record.Id)).Attempts);

        await store.RequestCancelAsync(record.Id, DateTimeOffset.UtcNow, None);
        await run;
    }

    [Fact]
    public async Task A_stale_dispatch_does_nothing()
    {
        var record = await Queue();
        await Job().PerformAsync(record.Id, "stale", None);
        Assert.Equal(0, engine.Calls);
        Assert.Equal(GenerationStatus.Queued, (await Read(record.Id)).Status);
    }

    [Fact]
    public async Task A_rerun_that_finds_every_output_in_place_records_success_without_generating()
    {
        var record = await Queue(numImages: 2);
        // An earlier attempt stored both images, then its worker vanished before recording success.
        var now = DateTimeOffset.UtcNow;
        await store.TryClaimAsync(record.Id, "d1", new JobLease("vanished", now.AddSeconds(-1)), now, None);
        foreach (var i in new[] { 0, 1 }) await blobs.PutAsync(BlobKey.ForImage(record.Id, i, "png"), new byte[] { 1 }, "image/png", None);
        await Job().PerformAsync(record.Id, "d1", None);
        Assert.Equal(0, engine.Calls);
        Assert.Equal(GenerationStatus.Succeeded, (await Read(record.Id)).Status);
    }

    [Fact]
    public async Task A_rejected_job_fails_at_once_with_its_code()
    {
        var record = await Queue();
        engine.Behaviour = _ => throw new GenerationRejectedException(JobError.ModelUnavailable, "gone");
        await Job().PerformAsync(record.Id, "d1", None);

        var done = await Read(record.Id);
        Assert.Equal(GenerationStatus.Failed, done.Status);
        Assert.Equal(new JobError(JobError.ModelUnavailable, "gone"), done.Error);
        Assert.Empty(done.Images);
    }

    [Theory]
    [InlineData(typeof(InvalidOperationException))]
    [InlineData(typeof(ArgumentException))]   // from a bug in the engine or a library: not the caller's fault, so not rejected
    public async Task An_unexpected_error_is_retried_then_fails_on_the_last_attempt(Type error)
    {
        var record = await Queue();
        engine.Behaviour = _ => throw (Exception)Activator.CreateInstance(error, "boom")!;

        Assert.IsType(error, await Assert.ThrowsAnyAsync<Exception>(() => Job().PerformAsync(record.Id, "d1", None)));
        var retrying = await Read(record.Id);
        Assert.Equal(GenerationStatus.Queued, retrying.Status);
        Assert.Null(retrying.Error);

        await Job().PerformAsync(record.Id, "d1", None);
        var done = await Read(record.Id);
        Assert.Equal(GenerationStatus.Failed, done.Status);
        Assert.Equal(new JobError(JobError.Internal, "boom"), done.Error);
        Assert.Equal(2, done.Attempts);
    }

    [Fact]
    public async Task What_the_model_drew_is_recorded_per_image_and_read_back_from_images_stored_before_a_crash()
    {
        engine.DrawnAs = "a green frog";
        var record = await Queue();
        await Job().PerformAsync(record.Id, "d1", None);
        var done = await Read(record.Id);
        Assert.All(done.Images, image => Assert.Equal("a green frog", image.DrawnAs));
        Assert.All(done.StageImages.SelectMany(stage => stage.Images), image => Assert.Equal("a green frog", image.DrawnAs));

        // A worker stored the final images and died before recording them: the next attempt finds them, and what they
        // were drawn as in their own metadata.
        var again = await Queue();
        var now = DateTimeOffset.UtcNow;
        await store.TryClaimAsync(again.Id, "d1", new JobLease("dead", now.AddSeconds(-1)), now, None);
        for (var i = 0; i < 2; i++)
        {
            using var picture = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(32, 32);
            var png = TextToImage.Diffusion.IO.ImageOutput.Encode(picture, new TextToImage.Diffusion.IO.GenerationMetadata(
                "frog", null, 100 + i, 4, "ddim", 3, "m", 32, 32, new Dictionary<string, string> { ["drawn_as"] = "a green frog" }),
                TextToImage.Diffusion.IO.ImageEncoding.Png);
            await blobs.PutAsync(BlobKey.ForImage(again.Id, i, "png"), png, "image/png", None);
        }
        await Job().PerformAsync(again.Id, "d1", None);
        var recovered = await Read(again.Id);
        Assert.Equal(1, engine.Calls);
        Assert.Equal(GenerationStatus.Succeeded, recovered.Status);
        Assert.All(recovered.Images, image => Assert.Equal("a green frog", image.DrawnAs));
    }

    [Fact]
    public async Task A_job_that_keeps_killing_its_worker_is_failed_instead_of_run_again()
    {
        var record = await Queue();
        var now = DateTimeOffset.UtcNow;
        // Two runs whose workers vanished: claimed, never finished, leases expired.
        for (var i = 0; i < 2; i++)
        {
            await store.TryClaimAsync(record.Id, "d1", new JobLease($"dead{i}", now.AddSeconds(-1)), now, None);
        }
        await Job().PerformAsync(record.Id, "d1", None);

        var done = await Read(record.Id);
        Assert.Equal(0, engine.Calls);
        Assert.Equal(GenerationStatus.Failed, done.Status);
        Assert.Equal(JobError.Internal, done.Error?.Code);
    }

    [Fact]
    public async Task Cancel_through_the_store_stops_a_running_job()
    {
        var record = await Queue();
        var run = await StartBlockedRun(record);

        Assert.Equal(CancelResult.Requested, (await store.RequestCancelAsync(record.Id, DateTimeOffset.UtcNow, None)).Result);
        await run;
        var done = await Read(record.Id);
        Assert.Equal(GenerationStatus.Canceled, done.Status);
        Assert.Empty(done.Images);
    }

    [Fact]
    public async Task Cancel_in_the_same_process_reaches_the_job_directly()
    {
        var record = await Queue();
        options.CancellationPollInterval = options.ProgressInterval = TimeSpan.FromMinutes(1); // the store is not polled in time
        var run = await StartBlockedRun(record);

        await store.RequestCancelAsync(record.Id, DateTimeOffset.UtcNow, None);
        Assert.True(running.TryCancel(record.Id));
        await run;
        Assert.Equal(GenerationStatus.Canceled, (await Read(record.Id)).Status);
        Assert.False(running.TryCancel(record.Id));
    }

    [Fact]
    public async Task Shutdown_puts_the_job_back_in_the_queue_for_hangfire_to_requeue()
    {
        var record = await Queue();
        using var shutdown = new CancellationTokenSource();
        var run = await StartBlockedRun(record, shutdown.Token);

        await shutdown.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        var requeued = await Read(record.Id);
        Assert.Equal(GenerationStatus.Queued, requeued.Status);
        Assert.Null(requeued.Lease);

        engine.Behaviour = _ => { };
        await Job().PerformAsync(record.Id, "d1", None);
        Assert.Equal(GenerationStatus.Succeeded, (await Read(record.Id)).Status);
    }

    [Fact]
    public async Task A_run_that_loses_its_lease_stops_without_writing()
    {
        var record = await Queue();
        var run = await StartBlockedRun(record);

        var seen = await Read(record.Id);
        Assert.True(await store.RedispatchAsync(seen, DateTimeOffset.MaxValue, "d2", None));
        await run;
        var after = await Read(record.Id);
        Assert.Equal(GenerationStatus.Queued, after.Status);
        Assert.Equal("d2", after.DispatchId);
        Assert.Empty(after.Images);
    }

    [Fact]
    public async Task Progress_is_written_while_the_job_runs()
    {
        var record = await Queue();
        var seen = new TaskCompletionSource<JobProgress?>();
        engine.Behaviour = token =>
        {
            for (var i = 0; i < 200 && !seen.Task.IsCompleted; i++)
            {
                var progress = store.GetAsync(record.Id, None).Result?.Progress;
                if (progress is not null) seen.TrySetResult(progress);
                else Thread.Sleep(10);
            }
        };
        await Job().PerformAsync(record.Id, "d1", None);
        Assert.Equal(new JobProgress("stage0", 0, 2, 1, 2), await seen.Task.WaitAsync(TimeSpan.FromSeconds(1)));
    }
}
