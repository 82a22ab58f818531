using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Pipelines;
using TextToImage.Service.Hosting;
using TextToImage.Service.Jobs;
using TextToImage.Service.Telemetry;

namespace TextToImage.Service.Models;

/// <summary>
/// The engine's cascade behind <see cref="IGenerationEngine"/>: loads each model once, on first
/// use or warm-up, and keeps it. The device runs one thing at a time (and the text encoder's cache
/// is not thread-safe): a job runs alone, or, with <c>Jobs:MaxBatchImages</c> above 1, text-to-image
/// jobs that waited for the device together go through the network as one batch.
/// </summary>
public sealed class CascadeEngine(ModelCatalog catalog, IOptions<ModelsOptions> options, IOptions<JobsOptions> jobs, ServiceMetrics metrics,
    ILogger<CascadeEngine> log) : IGenerationEngine, IDisposable
{
    // Written under the gate; read without it, so health and model listings never wait for a load or a job.
    readonly ConcurrentDictionary<string, CascadeModel> loaded = new(StringComparer.Ordinal);
    readonly Lock gate = new();
    readonly DeviceQueue<EngineJob> device = Observed(new DeviceQueue<EngineJob>(), metrics);
    ComputeTarget? target;

    readonly ConcurrentDictionary<string, string> failures = new(StringComparer.Ordinal);

    static DeviceQueue<EngineJob> Observed(DeviceQueue<EngineJob> queue, ServiceMetrics metrics)
    {
        metrics.ObserveDeviceWaiting(() => queue.Waiting);
        return queue;
    }

    public bool IsLoaded(string name) => loaded.ContainsKey(name);

    /// <summary>Why the last attempt to load the model failed; null when it loaded or was never tried.</summary>
    public string? LoadFailure(string name) => failures.TryGetValue(name, out var reason) ? reason : null;

    /// <summary>Loads a model ahead of its first job, so the first user does not wait for it.</summary>
    public void Preload(string name)
    {
        lock (gate) Model(name);
    }

    public IReadOnlyList<StageFiles> Generate(GenerationParameters parameters, UploadedInputs? inputs, Action<JobProgress> progress,
        Action<StageFiles> stageCompleted, CancellationToken cancellation)
    {
        var job = new EngineJob(parameters, progress, stageCompleted, cancellation);
        // Per-image ("reproducible") sampling gains nothing from company; edits and upscales carry pictures of their own.
        if (jobs.Value.MaxBatchImages > 1 && parameters.Kind == JobKinds.Generation && !parameters.Reproducible)
            return device.Batched(job, FormBatch, RunBatch, cancellation);
        return device.Alone(() => RunAlone(job, inputs), cancellation);
    }

    IReadOnlyList<StageFiles> RunAlone(EngineJob job, UploadedInputs? inputs)
    {
        var parameters = job.Parameters;
        var model = LoadedModel(parameters.Model);
        var request = job.Request;
        metrics.BatchRan(1);
        try
        {
            using var pictures = JobPictures.Decode(parameters, inputs);
            job.Metadata = JobMetadata(parameters, hasMask: pictures.Mask is not null);
            using var result = parameters.Kind switch
            {
                JobKinds.Generation => new CascadePipeline(model).Generate(request, job.OnProgress, stage => job.OnStage(stage, model), job.Cancellation),
                JobKinds.Edit => new ImageEditPipeline(model).Edit(new EditRequest
                {
                    Generation = request,
                    Image = pictures.Image!,
                    Mask = pictures.Mask,
                    Strength = parameters.Strength ?? 1,
                    JumpLength = parameters.JumpLength ?? 0,
                    JumpCount = parameters.JumpCount ?? 0,
                }, job.OnProgress, stage => job.OnStage(stage, model), job.Cancellation),
                // An upscale's steps, sampler and guidance are its first super-resolution stage's (no base stage runs).
                JobKinds.Upscale => new UpscalePipeline(model).Upscale(new UpscaleRequest
                {
                    Generation = request with { Stages = [null, request.Stages![0]] },
                    Image = pictures.Image!,
                    NoiseLevel = parameters.NoiseLevel,
                }, job.OnProgress, stage => job.OnStage(stage, model), job.Cancellation),
                var other => throw new InvalidOperationException($"Unknown job kind '{other}'."),
            };
            return job.Stages;
        }
        catch (InvalidGenerationRequestException e)
        {
            throw Rejected(e);
        }
    }

    /// <summary>
    /// The job, then the waiting jobs (in arrival order) for the same model with the same batch key, while their
    /// images fit in <c>Jobs:MaxBatchImages</c>.
    /// </summary>
    IReadOnlyList<EngineJob> FormBatch(EngineJob job, IReadOnlyList<EngineJob> waiting)
    {
        var model = LoadedModel(job.Parameters.Model);
        var pipeline = new CascadePipeline(model);
        var key = BatchKey(pipeline, job);
        var batch = new List<EngineJob> { job };
        var images = job.Request.NumImages;
        foreach (var other in waiting.Where(w => w.Parameters.Model == job.Parameters.Model))
        {
            if (images + other.Request.NumImages > jobs.Value.MaxBatchImages) continue;
            // A waiting job that cannot run stays behind: it meets its error when it takes the device itself.
            try
            {
                if (BatchKey(pipeline, other) != key) continue;
            }
            catch (GenerationRejectedException)
            {
                continue;
            }
            batch.Add(other);
            images += other.Request.NumImages;
        }
        return batch;
    }

    static string? BatchKey(CascadePipeline pipeline, EngineJob job)
    {
        try
        {
            return pipeline.BatchKey(job.Request);
        }
        catch (InvalidGenerationRequestException e)
        {
            throw Rejected(e);
        }
    }

    void RunBatch(IReadOnlyList<EngineJob> batch)
    {
        var model = LoadedModel(batch[0].Parameters.Model);
        if (batch.Count > 1) log.LogInformation("One batch of {Jobs} jobs ({Images} images).", batch.Count, batch.Sum(j => j.Request.NumImages));
        metrics.BatchRan(batch.Count);
        foreach (var job in batch) job.Metadata = JobMetadata(job.Parameters, hasMask: false);
        var results = new CascadePipeline(model).GenerateBatch([.. batch.Select(job =>
            new BatchedGeneration(job.Request, job.OnProgress, stage => job.OnStage(stage, model), job.Cancellation))]);
        for (var i = 0; i < batch.Count; i++)
        {
            using var result = results[i];
            if (result is null) batch[i].Fail(new OperationCanceledException(batch[i].Cancellation));
            else batch[i].Succeed(batch[i].Stages);
        }
    }

    // Only the engine's own type is the caller's fault; any other error (an ArgumentException
    // from a bug included) is internal, and the job is tried again.
    static GenerationRejectedException Rejected(InvalidGenerationRequestException e) => new(JobError.InvalidRequest, e.Message, e);

    /// <summary>
    /// One job on its way through the engine: its request, and its stages' files as they come (encoded in the
    /// job's format with its metadata), whether it runs alone or in a batch.
    /// </summary>
    sealed class EngineJob(GenerationParameters parameters, Action<JobProgress> progress, Action<StageFiles> stageCompleted,
        CancellationToken cancellation) : QueuedJob
    {
        readonly List<StageFiles> stages = [];

        public GenerationParameters Parameters { get; } = parameters;
        public CancellationToken Cancellation { get; } = cancellation;

        public GenerationRequest Request { get; } = new()
        {
            Prompt = parameters.Prompt,
            NegativePrompt = parameters.NegativePrompt,
            NumImages = parameters.NumImages,
            Seed = parameters.Seed,
            Resolution = parameters.Resolution,
            Sampling = parameters.Reproducible ? SamplingMode.PerImage : SamplingMode.Batched,
            Stages = [new StageOptions { Sampler = parameters.Sampler, Steps = parameters.Steps, GuidanceScale = parameters.GuidanceScale }],
        };

        /// <summary>What its images record beyond the stages' settings (set before it runs).</summary>
        public IReadOnlyDictionary<string, string>? Metadata { get; set; }

        public IReadOnlyList<StageFiles> Stages => stages;

        public void OnProgress(GenerationProgress p) => progress(new JobProgress(p.StageName, p.StageIndex, p.StageCount, p.Step, p.TotalSteps));

        public void OnStage(StageResult stage, CascadeModel model)
        {
            var files = new StageFiles(stage.StageIndex, stage.StageName, stage.Resolution,
                GeneratedImages.Encode(stage, Request, model, Metadata, Parameters.Encoding()), stage.Elapsed, stage.DrawnAs?.Caption);
            stages.Add(files);
            stageCompleted(files);
        }
    }

    /// <summary>What a PNG records beyond the stages' settings: the job's kind and the choices only edits and upscales make.</summary>
    static Dictionary<string, string> JobMetadata(GenerationParameters parameters, bool hasMask)
    {
        var metadata = new Dictionary<string, string> { ["kind"] = parameters.Kind };
        string Number(double value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (parameters.Kind == JobKinds.Edit)
        {
            metadata["strength"] = Number(parameters.Strength ?? 1);
            metadata["mask"] = hasMask ? "inpainting" : "none";
            metadata["jump_length"] = Number(parameters.JumpLength ?? 0);
            metadata["jump_count"] = Number(parameters.JumpCount ?? 0);
        }
        if (parameters.Kind == JobKinds.Upscale && parameters.NoiseLevel is { } noise) metadata["noise_level"] = Number(noise);
        return metadata;
    }

    CascadeModel LoadedModel(string name)
    {
        lock (gate) return Model(name);
    }

    CascadeModel Model(string name)
    {
        if (loaded.TryGetValue(name, out var model)) return model;
        var info = catalog.Find(name) ?? throw new GenerationRejectedException(JobError.ModelUnavailable, $"No model named '{name}' is configured.");
        try
        {
            target ??= ComputeTarget.Resolve(options.Value.Device.ToString(), options.Value.DType.ToString()) with { Offload = options.Value.Offload };
            log.LogInformation("Loading model '{Name}' from {Folder} on {Target}.", name, info.Folder, target);
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            model = ModelFolder.Load(info.Folder, target);
            metrics.ModelLoaded(name, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or NotSupportedException or System.Text.Json.JsonException)
        {
            failures[name] = e.Message;
            throw new GenerationRejectedException(JobError.ModelUnavailable, $"Model '{name}' does not load: {e.Message}", e);
        }
        failures.TryRemove(name, out _);
        loaded[name] = model;
        return model;
    }

    public void Dispose()
    {
        lock (gate)
        {
            foreach (var model in loaded.Values) model.Dispose();
            loaded.Clear();
        }
    }
}
