using System.Diagnostics;
using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Samplers;
using TextToImage.Diffusion.Text;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Pipelines;

/// <summary>
/// Text to image through the cascade: encode the prompt once, sample the base stage, then
/// each super-resolution stage on the previous one's output, up to the requested resolution.
/// Runs synchronously on the calling thread (dispose scopes and grad mode are thread-local);
/// cancellation is checked before every sampler step.
/// </summary>
public sealed class CascadePipeline(CascadeModel model)
{
    public const int MaxImages = 16;

    public CascadeModel Model { get; } = model;

    /// <param name="progress">Called after every step of every stage.</param>
    /// <param name="stageCompleted">Called with each stage's images as soon as they exist (progressive results); the
    /// result still owns them.</param>
    public GenerationResult Generate(GenerationRequest request, Action<GenerationProgress>? progress = null,
        Action<StageResult>? stageCompleted = null, CancellationToken cancellation = default) =>
        Run(request, firstStage: 0, lowResolution: null, guides: null, progress, stageCompleted, cancellation);

    /// <summary>
    /// Runs stages <paramref name="firstStage"/> up to the request's resolution. The first stage
    /// run takes <paramref name="lowResolution"/> ([1, 3, r, r], [-1, 1], CPU) as its low-resolution
    /// input when it is a super-resolution stage; <paramref name="guides"/> gives each stage index
    /// the picture it starts from or keeps (created in the stage's dispose scope), or null.
    /// Progress counts the stages run: index 0 is <paramref name="firstStage"/>.
    /// </summary>
    internal GenerationResult Run(GenerationRequest request, int firstStage, Tensor? lowResolution, Func<int, StageGuide?>? guides,
        Action<GenerationProgress>? progress, Action<StageResult>? stageCompleted, CancellationToken cancellation)
    {
        var stageCount = StagesFor(request.Resolution);
        if (request.NumImages is < 1 or > MaxImages)
            throw new InvalidGenerationRequestException($"NumImages must be between 1 and {MaxImages}, not {request.NumImages}.");
        if (firstStage >= stageCount)
            throw new InvalidGenerationRequestException($"Resolution {request.Resolution} is not above the input's; choose one of {string.Join(", ", Model.Resolutions.Skip(firstStage))}.");
        var settings = Enumerable.Range(0, stageCount).Select(i => StageSettings.Resolve(Model.Stages[i], request.OptionsFor(i))).ToList();
        // The prompt and what guidance contrasts it with are the same text (both empty for
        // unconditional generation): cond − uncond is zero whatever the scale, so run the one branch.
        var guidanceIsIdentity = request.Prompt == (request.NegativePrompt ?? "");

        using var finalizers = FinalizerGate.Hold();
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        using var prompts = EncodePrompts(request);
        using var noise = new PerSampleNoise(Enumerable.Range(0, request.NumImages).Select(i => new Generator((ulong)(request.Seed + i))).ToList());

        var results = new List<StageResult>();
        var ran = new List<StageRun>();
        var previous = lowResolution?.to(Model.Target.Device).expand(request.NumImages, -1, -1, -1);
        try
        {
            for (var s = firstStage; s < stageCount; s++)
            {
                var stage = Model.Stages[s];
                var clock = Stopwatch.StartNew();
                var stageSettings = guidanceIsIdentity ? settings[s] with { GuidanceScale = 1 } : settings[s];
                // Every image has the prompt (row 0) and contrasts it with the negative prompt (row 1).
                using var text = StageSampler.Conditioning(prompts, Enumerable.Repeat(0L, request.NumImages).ToList(), 1, stageSettings.UsesGuidance, Model.Target);
                using var stageScope = NewDisposeScope();
                var guide = guides?.Invoke(s);
                var sampler = new StageSampler(stage, stageSettings, noise, Model.Target, request.Sampling);
                var images = sampler.Sample(request.NumImages, text, previous, guide, (step, total) =>
                    progress?.Invoke(new GenerationProgress(s - firstStage, stage.Name, stageCount - firstStage, step, total)), cancellation);
                previous = images.MoveToOuterDisposeScope();
                ran.Add(new StageRun(s, stage, settings[s]));
                var result = new StageResult(s, stage.Name, images.cpu().clamp(-1, 1).DetachFromDisposeScope(), clock.Elapsed, ran.ToList());
                results.Add(result);
                stageCompleted?.Invoke(result);
            }
            return new GenerationResult(results);
        }
        catch
        {
            foreach (var result in results) result.Dispose();
            throw;
        }
    }

    /// <summary>How many stages to run to reach <paramref name="resolution"/> (null: all).</summary>
    public int StagesFor(int? resolution)
    {
        if (resolution is null) return Model.Stages.Count;
        var index = Model.Resolutions.ToList().IndexOf(resolution.Value);
        return index >= 0
            ? index + 1
            : throw new InvalidGenerationRequestException($"Resolution {resolution} is not one of this model's: {string.Join(", ", Model.Resolutions)}.");
    }

    /// <summary>Row 0 is the prompt, row 1 the negative prompt ("" = unconditional); encoded once for all stages.</summary>
    TextEmbeddings EncodePrompts(GenerationRequest request) =>
        Model.TextEncoder.Encode([request.Prompt, request.NegativePrompt ?? ""]);
}
