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
    /// Several requests through the network together (a serving batch): each keeps its prompt, seeds, guidance scale,
    /// progress, stage results and cancellation; a request that cancels leaves at the next step and the others go on.
    /// All must have the same <see cref="BatchKey"/>. Returns each request's result in order, or null for those that
    /// were cancelled. An error (other than a cancel) fails them all.
    /// </summary>
    public IReadOnlyList<GenerationResult?> GenerateBatch(IReadOnlyList<BatchedGeneration> generations) =>
        Run(generations, firstStage: 0, lowResolution: null, guides: null);

    /// <summary>
    /// What requests must share to run in one batch: the stages run and every stage's settings but the guidance
    /// scale (whether it guides at all included), in batched sampling. Null when the request cannot join a batch
    /// (per-image sampling). Throws <see cref="InvalidGenerationRequestException"/> for a request that cannot run.
    /// </summary>
    public string? BatchKey(GenerationRequest request)
    {
        var resolved = Resolve(request, firstStage: 0);
        if (request.Sampling != SamplingMode.Batched) return null;
        // Whether guidance runs depends on what the prompt is drawn as, which only a negative prompt can equal (a matched
        // prompt is drawn as a non-empty caption): the batcher asks this of every waiting job, so it matches only then.
        var contrast = Contrast(request, string.IsNullOrEmpty(request.NegativePrompt) ? null : Model.MatchPrompts([request.Prompt])[0]);
        return string.Join(";", resolved.Select(r => Effective(contrast, r)).Select(s =>
            $"{s.Sampler},{s.Steps},{s.NoiseLevel},{s.Eta},{(s.Timesteps is null ? "" : string.Join(" ", s.Timesteps))},{s.UsesGuidance}"));
    }

    /// <summary>
    /// Runs stages <paramref name="firstStage"/> up to the request's resolution. The first stage
    /// run takes <paramref name="lowResolution"/> ([1, 3, r, r], [-1, 1], CPU) as its low-resolution
    /// input when it is a super-resolution stage; <paramref name="guides"/> gives each stage index
    /// the picture it starts from or keeps (created in the stage's dispose scope), or null.
    /// Progress counts the stages run: index 0 is <paramref name="firstStage"/>.
    /// </summary>
    internal GenerationResult Run(GenerationRequest request, int firstStage, Tensor? lowResolution, Func<int, StageGuide?>? guides,
        Action<GenerationProgress>? progress, Action<StageResult>? stageCompleted, CancellationToken cancellation) =>
        Run([new BatchedGeneration(request, progress, stageCompleted, cancellation)], firstStage, lowResolution, guides)[0]
        ?? throw new OperationCanceledException(cancellation);

    IReadOnlyList<GenerationResult?> Run(IReadOnlyList<BatchedGeneration> generations, int firstStage, Tensor? lowResolution,
        Func<int, StageGuide?>? guides)
    {
        if (generations.Count == 0) throw new ArgumentException("Give at least one request.", nameof(generations));
        if (generations.Count > 1 && (lowResolution is not null || guides is not null
                                      || generations.Select(g => BatchKey(g.Request)).Distinct().ToList() is not [not null]))
            throw new ArgumentException("Requests share a batch only in text-to-image sampling, with the same BatchKey.", nameof(generations));
        var settings = generations.Select(g => Resolve(g.Request, firstStage)).ToList();
        var stageCount = settings[0].Count;
        var requests = generations.Select(g => g.Request).ToList();

        using var finalizers = FinalizerGate.Hold();
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        // Request r's prompt (or the vocabulary caption it is drawn as) is row 2r, what its guidance contrasts it with
        // row 2r + 1 (never matched: a negative prompt names what to avoid, not an emoji); encoded once for all stages.
        var drawnAs = Model.MatchPrompts([.. requests.Select(r => r.Prompt)]);
        var contrasts = requests.Select((r, i) => Contrast(r, drawnAs[i])).ToList();
        using var prompts = Model.TextEncoder.Encode([.. contrasts.SelectMany(c => new[] { c.Drawn, c.Negative })]);
        using var noise = new PerSampleNoise(requests.SelectMany(r =>
            Enumerable.Range(0, r.NumImages).Select(i => new Generator((ulong)(r.Seed + i)))).ToList());

        var results = generations.Select(_ => new List<StageResult>()).ToList();
        var running = Enumerable.Range(0, generations.Count).ToList();
        var ran = new List<List<StageRun>>(generations.Select(_ => new List<StageRun>()));
        var previous = lowResolution?.to(Model.Target.Device).expand(requests[0].NumImages, -1, -1, -1);
        try
        {
            for (var s = firstStage; s < stageCount + firstStage && running.Count > 0; s++)
            {
                var stage = Model.Stages[s];
                var clock = Stopwatch.StartNew();
                using var placed = Model.Target.OnDevice(stage.Network);
                var stageSettings = Effective(contrasts[running[0]], settings[running[0]][s - firstStage]);
                var groups = new SamplingGroups(running.Select(r => new SamplingGroup(r, requests[r].NumImages,
                    Effective(contrasts[r], settings[r][s - firstStage]).GuidanceScale, ProgressOf(generations[r], s - firstStage, stage.Name, stageCount),
                    generations[r].Cancellation)));
                var promptRows = running.SelectMany(r => Enumerable.Repeat(2L * r, requests[r].NumImages)).ToList();
                using var text = StageSampler.Conditioning(prompts, promptRows, [.. promptRows.Select(row => row + 1)], stageSettings.UsesGuidance, Model.Target, stage);
                using var stageScope = NewDisposeScope();
                var guide = guides?.Invoke(s);
                var sampler = new StageSampler(stage, stageSettings, noise, Model.Target, requests[running[0]].Sampling);
                var images = sampler.Sample(groups, text, previous, guide);
                previous = images.MoveToOuterDisposeScope();
                running = [.. groups.Active.Select(g => g.Member)];
                var first = 0;
                foreach (var r in running)
                {
                    ran[r].Add(new StageRun(s, stage, settings[r][s - firstStage]));
                    var rows = images[first..(first + requests[r].NumImages)];
                    first += requests[r].NumImages;
                    var result = new StageResult(s, stage.Name, rows.cpu().clamp(-1, 1).DetachFromDisposeScope(), clock.Elapsed, ran[r].ToList(), drawnAs[r]);
                    results[r].Add(result);
                    generations[r].StageCompleted?.Invoke(result);
                }
            }
            return [.. results.Select((stages, r) => running.Contains(r) ? new GenerationResult(stages) : Discard(stages))];
        }
        catch (OperationCanceledException) when (generations.All(g => g.Cancellation.IsCancellationRequested) && generations.Count > 1)
        {
            // The last callers left during a stage: every request ends cancelled.
            foreach (var stages in results) Discard(stages);
            return [.. generations.Select(_ => (GenerationResult?)null)];
        }
        catch
        {
            foreach (var stages in results) Discard(stages);
            throw;
        }
    }

    /// <summary>
    /// Each stage's settings for <paramref name="request"/> as asked (what the images record), the stages from
    /// <paramref name="firstStage"/> to its resolution.
    /// </summary>
    List<StageSettings> Resolve(GenerationRequest request, int firstStage)
    {
        var stageCount = StagesFor(request.Resolution);
        if (request.NumImages is < 1 or > MaxImages)
            throw new InvalidGenerationRequestException($"NumImages must be between 1 and {MaxImages}, not {request.NumImages}.");
        if (firstStage >= stageCount)
            throw new InvalidGenerationRequestException($"Resolution {request.Resolution} is not above the input's; choose one of {string.Join(", ", Model.Resolutions.Skip(firstStage))}.");
        return [.. Enumerable.Range(firstStage, stageCount - firstStage).Select(i => StageSettings.Resolve(Model.Stages[i], request.OptionsFor(i)))];
    }

    /// <summary>
    /// The settings a stage runs with: when the text drawn (the prompt, or the vocabulary caption it is drawn as) and
    /// what guidance contrasts it with are the same (both empty for unconditional generation), cond − uncond is zero
    /// whatever the scale, so only the one branch runs.
    /// </summary>
    static StageSettings Effective((string Drawn, string Negative) contrast, StageSettings asked) =>
        contrast.Drawn == contrast.Negative ? asked with { GuidanceScale = 1 } : asked;

    /// <summary>The text a request is drawn as and the text its guidance contrasts it with.</summary>
    static (string Drawn, string Negative) Contrast(GenerationRequest request, PromptMatch? drawnAs) =>
        (drawnAs?.Caption ?? request.Prompt, request.NegativePrompt ?? "");

    static Action<int, int> ProgressOf(BatchedGeneration generation, int stageIndex, string stageName, int stageCount) =>
        (step, total) => generation.Progress?.Invoke(new GenerationProgress(stageIndex, stageName, stageCount, step, total));

    static GenerationResult? Discard(List<StageResult> stages)
    {
        foreach (var stage in stages) stage.Dispose();
        return null;
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
}

/// <summary>One request of a serving batch, with its own progress, stage results and cancellation (see <see cref="CascadePipeline.GenerateBatch"/>).</summary>
public sealed record BatchedGeneration(GenerationRequest Request, Action<GenerationProgress>? Progress = null,
    Action<StageResult>? StageCompleted = null, CancellationToken Cancellation = default);
