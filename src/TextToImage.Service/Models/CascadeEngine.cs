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
/// use or warm-up, and keeps it. Generations run one at a time per process: a device runs one
/// cascade at a time best, and the text encoder's cache is not thread-safe.
/// </summary>
public sealed class CascadeEngine(ModelCatalog catalog, IOptions<ModelsOptions> options, ServiceMetrics metrics, ILogger<CascadeEngine> log) : IGenerationEngine, IDisposable
{
    // Written under the gate; read without it, so health and model listings never wait for a load or a job.
    readonly ConcurrentDictionary<string, CascadeModel> loaded = new(StringComparer.Ordinal);
    readonly Lock gate = new();
    ComputeTarget? target;

    readonly ConcurrentDictionary<string, string> failures = new(StringComparer.Ordinal);

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
        lock (gate)
        {
            var model = Model(parameters.Model);
            var request = new GenerationRequest
            {
                Prompt = parameters.Prompt,
                NegativePrompt = parameters.NegativePrompt,
                NumImages = parameters.NumImages,
                Seed = parameters.Seed,
                Resolution = parameters.Resolution,
                Sampling = parameters.Reproducible ? SamplingMode.PerImage : SamplingMode.Batched,
                Stages = [new StageOptions { Sampler = parameters.Sampler, Steps = parameters.Steps, GuidanceScale = parameters.GuidanceScale }],
            };
            var stages = new List<StageFiles>();
            var encoding = parameters.Encoding();
            IReadOnlyDictionary<string, string>? jobMetadata = null;
            void OnProgress(GenerationProgress p) => progress(new JobProgress(p.StageName, p.StageIndex, p.StageCount, p.Step, p.TotalSteps));
            void OnStage(StageResult stage)
            {
                var pngs = new StageFiles(stage.StageIndex, stage.StageName, stage.Resolution, GeneratedImages.Encode(stage, request, model, jobMetadata, encoding), stage.Elapsed);
                stages.Add(pngs);
                stageCompleted(pngs);
            }
            try
            {
                using var pictures = JobPictures.Decode(parameters, inputs);
                jobMetadata = JobMetadata(parameters, hasMask: pictures.Mask is not null);
                using var result = parameters.Kind switch
                {
                    JobKinds.Generation => new CascadePipeline(model).Generate(request, OnProgress, OnStage, cancellation),
                    JobKinds.Edit => new ImageEditPipeline(model).Edit(new EditRequest
                    {
                        Generation = request,
                        Image = pictures.Image!,
                        Mask = pictures.Mask,
                        Strength = parameters.Strength ?? 1,
                        JumpLength = parameters.JumpLength ?? 0,
                        JumpCount = parameters.JumpCount ?? 0,
                    }, OnProgress, OnStage, cancellation),
                    // An upscale's steps, sampler and guidance are its first super-resolution stage's (no base stage runs).
                    JobKinds.Upscale => new UpscalePipeline(model).Upscale(new UpscaleRequest
                    {
                        Generation = request with { Stages = [null, request.Stages![0]] },
                        Image = pictures.Image!,
                        NoiseLevel = parameters.NoiseLevel,
                    }, OnProgress, OnStage, cancellation),
                    var other => throw new InvalidOperationException($"Unknown job kind '{other}'."),
                };
                return stages;
            }
            // Only the engine's own type is the caller's fault; any other error (an ArgumentException
            // from a bug included) is internal, and the job is tried again.
            catch (InvalidGenerationRequestException e)
            {
                throw new GenerationRejectedException(JobError.InvalidRequest, e.Message, e);
            }
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

    CascadeModel Model(string name)
    {
        if (loaded.TryGetValue(name, out var model)) return model;
        var info = catalog.Find(name) ?? throw new GenerationRejectedException(JobError.ModelUnavailable, $"No model named '{name}' is configured.");
        try
        {
            target ??= ComputeTarget.Resolve(options.Value.Device.ToString(), options.Value.DType.ToString());
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
