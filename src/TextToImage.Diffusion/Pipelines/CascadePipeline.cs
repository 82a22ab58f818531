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
        Action<StageResult>? stageCompleted = null, CancellationToken cancellation = default)
    {
        var stageCount = StagesFor(request.Resolution);
        if (request.NumImages is < 1 or > MaxImages)
            throw new ArgumentException($"NumImages must be between 1 and {MaxImages}, not {request.NumImages}.");
        var settings = Enumerable.Range(0, stageCount).Select(i => StageSettings.Resolve(Model.Stages[i], request.OptionsFor(i))).ToList();

        using var finalizers = FinalizerGate.Hold();
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        using var prompts = EncodePrompts(request);
        using var noise = new PerSampleNoise(Enumerable.Range(0, request.NumImages).Select(i => new Generator((ulong)(request.Seed + i))).ToList());

        var results = new List<StageResult>();
        Tensor? previous = null;
        try
        {
            for (var s = 0; s < stageCount; s++)
            {
                var stage = Model.Stages[s];
                var clock = Stopwatch.StartNew();
                using var text = ConditioningFor(prompts, settings[s].UsesGuidance);
                var sampler = new StageSampler(stage, settings[s], noise, Model.Target);
                var images = sampler.Sample(request.NumImages, text, previous, (step, total) =>
                    progress?.Invoke(new GenerationProgress(s, stage.Name, stageCount, step, total)), cancellation);
                previous = images;
                var result = new StageResult(s, stage.Name, images.cpu().clamp(-1, 1).DetachFromDisposeScope(), clock.Elapsed);
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
            : throw new ArgumentException($"Resolution {resolution} is not one of this model's: {string.Join(", ", Model.Resolutions)}.");
    }

    /// <summary>Row 0 is the prompt, row 1 the negative prompt ("" = unconditional); encoded once for all stages.</summary>
    TextEmbeddings EncodePrompts(GenerationRequest request) =>
        Model.TextEncoder.Encode([request.Prompt, request.NegativePrompt ?? ""]);

    /// <summary>The conditioning of one image: the prompt, then the negative prompt when guidance needs it.</summary>
    TextEmbeddings ConditioningFor(TextEmbeddings prompts, bool guided)
    {
        using var selected = prompts.Select(guided ? [0, 1] : [0]);
        return selected.To(Model.Target.Device, Model.Target.DType);
    }
}
