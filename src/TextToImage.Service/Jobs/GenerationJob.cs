using Hangfire;
using Hangfire.Server;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Pipelines;
using TextToImage.Service.Blobs;
using TextToImage.Service.Hosting;
using TextToImage.Service.Models;
using TextToImage.Service.Telemetry;

namespace TextToImage.Service.Jobs;

/// <summary>
/// The Hangfire job: runs one generation given its id. It claims the record before any side
/// effect, so a dispatch that is stale, a job that finished, or a job another worker holds is
/// left alone; outputs go to keys derived from the job id, so a re-run ends with one set.
/// </summary>
public sealed class GenerationJob(IJobStore store, IBlobStore blobs, IGenerationEngine engine, RunningJobs running,
    IOptions<JobsOptions> options, TimeProvider clock, ServiceMetrics metrics, ILogger<GenerationJob> log)
{
    JobsOptions Options => options.Value;

    /// <param name="context">Filled in by Hangfire: names the dispatch being performed.</param>
    /// <param name="shutdown">Hangfire's token: fires when the server stops.</param>
    // Our record counts attempts (Jobs:MaxAttempts, at most 10) and fails the job itself on the
    // last one; Hangfire only has to keep retrying until then.
    [JobDisplayName("Generation {0}")]
    [AutomaticRetry(Attempts = 10, DelaysInSeconds = [1, 5, 15, 30, 60, 60, 60, 60, 60, 60], OnAttemptsExceeded = AttemptsExceededAction.Delete)]
    public Task RunAsync(string generationId, PerformContext? context, CancellationToken shutdown) =>
        PerformAsync(generationId, context?.BackgroundJob.Id ?? throw new InvalidOperationException("GenerationJob runs under Hangfire only."), shutdown);

    /// <summary>Runs the job for dispatch <paramref name="dispatchId"/>; returns normally unless the job should run again.</summary>
    public async Task PerformAsync(string generationId, string dispatchId, CancellationToken shutdown)
    {
        var now = clock.GetUtcNow();
        var lease = new JobLease(LeaseOwners.New(), now + Options.LeaseDuration);
        var record = await store.TryClaimAsync(generationId, dispatchId, lease, now, CancellationToken.None);
        if (record is null)
        {
            log.LogInformation("Generation {Id}: dispatch {Dispatch} has nothing to do (finished, canceled, superseded or held elsewhere).", generationId, dispatchId);
            return;
        }
        log.LogInformation("Generation {Id}: claimed by {Owner} (attempt {Attempts}).", record.Id, lease.Owner, record.Attempts);
        using var activity = ServiceMetrics.Activities.StartActivity("generation.run");
        activity?.SetTag("t2i.job.id", record.Id).SetTag("t2i.job.kind", record.Parameters.Kind).SetTag("t2i.job.attempt", record.Attempts);
        if (record.Attempts > Options.MaxAttempts)
        {
            await Fail(record, lease.Owner, JobError.Internal, $"The job stopped its worker {record.Attempts - 1} times (crash or kill); it is not tried again.");
            return;
        }

        using var run = new JobRun(record, lease, store, Options, clock, shutdown, log);
        using var registration = running.Register(record.Id, run.CancelByUser);
        var monitor = run.MonitorAsync();
        try
        {
            var images = await ExistingOutputs(record) ?? await Generate(record, run);
            await Complete(record, lease.Owner, new JobCompletion(GenerationStatus.Succeeded, clock.GetUtcNow(), images, null, run.Metrics()));
        }
        catch (OperationCanceledException) when (run.CanceledByUser)
        {
            await Complete(record, lease.Owner, new JobCompletion(GenerationStatus.Canceled, clock.GetUtcNow(), [], null, run.Metrics()));
        }
        catch (OperationCanceledException) when (run.LeaseLost)
        {
            log.LogWarning("Generation {Id}: the lease was lost to another worker; this run stops without writing.", record.Id);
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            // Back to the queue; Hangfire requeues the dispatch when a job ends by its shutdown token.
            await store.ReleaseAsync(record.Id, lease.Owner, CancellationToken.None);
            log.LogInformation("Generation {Id}: worker stopping; the job goes back to the queue.", record.Id);
            throw;
        }
        catch (GenerationRejectedException e)
        {
            await Fail(record, lease.Owner, e.Code, e.Message);
        }
        catch (Exception e) when (record.Attempts >= Options.MaxAttempts)
        {
            log.LogError(e, "Generation {Id} failed on its last attempt ({Attempts}).", record.Id, record.Attempts);
            await Fail(record, lease.Owner, JobError.Internal, e.Message);
        }
        catch (Exception e)
        {
            log.LogWarning(e, "Generation {Id} failed on attempt {Attempts}; it will be retried.", record.Id, record.Attempts);
            await store.ReleaseAsync(record.Id, lease.Owner, CancellationToken.None);
            throw;
        }
        finally
        {
            await run.StopMonitor(monitor);
        }
    }

    /// <summary>
    /// A re-run after a crash between storing the images and recording success finds them all in
    /// place. A first attempt cannot: its keys are new, so it skips the store round trips.
    /// </summary>
    async Task<IReadOnlyList<StoredImage>?> ExistingOutputs(GenerationRecord record)
    {
        if (record.Attempts == 1) return null;
        var images = FinalImages(record, record.Parameters.Resolution, drawnAs: null);
        foreach (var image in images)
            if (await blobs.GetPropertiesAsync(BlobKey.Parse(image.Key), CancellationToken.None) is null)
                return null;
        var drawnAs = await DrawnAsRecordedIn(images[0].Key);
        return [.. images.Select(image => image with { DrawnAs = drawnAs })];
    }

    /// <summary>
    /// What a stored image says its prompt was drawn as (<c>drawn_as</c> in its metadata), or null: after a crash the
    /// image is the only record of it, the attempt that made it never wrote its own.
    /// </summary>
    async Task<string?> DrawnAsRecordedIn(string key)
    {
        if (await ReadBlob(key) is not { } bytes) return null;
        try
        {
            return ImageOutput.ReadMetadata(new MemoryStream(bytes))?.Extra?.GetValueOrDefault(GeneratedImages.DrawnAsKey);
        }
        catch (InvalidDataException)
        {
            return null;   // not an image this engine wrote: it says nothing
        }
    }

    async Task<IReadOnlyList<StoredImage>> Generate(GenerationRecord record, JobRun run)
    {
        var parameters = record.Parameters;
        var inputs = await ReadInputs(record);
        var stages = await Task.Factory.StartNew(
            () => engine.Generate(parameters, inputs, progress =>
            {
                run.Report(progress);
                if (progress.Step > 0) metrics.SamplerStep(progress.Stage);
            }, stage =>
            {
                run.StageCompleted(stage);
                metrics.StageFinished(stage.Stage, stage.Elapsed);
                if (stage.Resolution != parameters.Resolution) StoreStage(record, run.Owner, stage).GetAwaiter().GetResult();
            }, run.Cancellation),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var final = stages[^1];
        var images = FinalImages(record, final.Resolution, final.DrawnAs);
        for (var i = 0; i < images.Count; i++)
            await blobs.PutAsync(BlobKey.Parse(images[i].Key), final.Files[i], record.Parameters.Encoding().ContentType, CancellationToken.None);
        metrics.ImagesStored(images.Count, final: true);
        return images;
    }

    /// <summary>An edit's or upscale's uploaded pictures, stored at submission.</summary>
    async Task<UploadedInputs?> ReadInputs(GenerationRecord record)
    {
        if (record.Inputs is not { } inputs) return null;
        var image = await ReadBlob(inputs.Image) ?? throw new GenerationRejectedException(JobError.InvalidRequest,
            $"The job's input image ({inputs.Image}) is no longer in storage.");
        var mask = inputs.Mask is null ? null : await ReadBlob(inputs.Mask) ?? throw new GenerationRejectedException(JobError.InvalidRequest,
            $"The job's mask ({inputs.Mask}) is no longer in storage.");
        return new UploadedInputs(image, mask);
    }

    async Task<byte[]?> ReadBlob(string key)
    {
        await using var stream = await blobs.OpenReadAsync(BlobKey.Parse(key), CancellationToken.None);
        if (stream is null) return null;
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    async Task StoreStage(GenerationRecord record, string owner, StageFiles stage)
    {
        var images = new List<StoredImage>();
        var encoding = record.Parameters.Encoding();
        for (var i = 0; i < stage.Files.Count; i++)
        {
            var key = BlobKey.ForStageImage(record.Id, stage.StageIndex, i, encoding.Extension);
            await blobs.PutAsync(key, stage.Files[i], encoding.ContentType, CancellationToken.None);
            images.Add(new StoredImage(key.Value, stage.Resolution, stage.Resolution, record.Parameters.Seed + i, stage.DrawnAs));
        }
        metrics.ImagesStored(images.Count, final: false);
        await store.AddStageImagesAsync(record.Id, owner, new StageOutput(stage.Stage, stage.StageIndex, stage.Resolution, images), CancellationToken.None);
    }

    static List<StoredImage> FinalImages(GenerationRecord record, int resolution, string? drawnAs) =>
        Enumerable.Range(0, record.Parameters.NumImages)
            .Select(i => new StoredImage(BlobKey.ForImage(record.Id, i, record.Parameters.Encoding().Extension).Value, resolution, resolution,
                record.Parameters.Seed + i, drawnAs))
            .ToList();

    Task Fail(GenerationRecord record, string owner, string code, string message) =>
        Complete(record, owner, new JobCompletion(GenerationStatus.Failed, clock.GetUtcNow(), [], new JobError(code, message), null));

    async Task Complete(GenerationRecord record, string owner, JobCompletion completion)
    {
        if (await store.CompleteAsync(record.Id, owner, completion, CancellationToken.None))
        {
            metrics.Completed(completion.Status, record.Parameters.Kind);
            log.LogInformation("Generation {Id} {Status}.", record.Id, completion.Status.Name());
        }
        else
            log.LogWarning("Generation {Id}: could not record '{Status}': the lease had passed to another worker.", record.Id, completion.Status.Name());
    }
}
