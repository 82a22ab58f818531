using System.Diagnostics;
using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Pipelines;
using TextToImage.Diffusion.Samplers;
using TextToImage.Diffusion.Text;
using TextToImage.Training.Data;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TextToImage.Training.Evaluation;

/// <summary>Text conditioning for evaluation prompts, in order: the model's encoder, or a training run's cached embeddings.</summary>
public delegate TextEmbeddings PromptEncoder(IReadOnlyList<string> prompts);

/// <summary>What a model draws for each prompt (its prompt vocabulary's nearest subject), and how the report says so.</summary>
public sealed record PromptMapping(Func<IReadOnlyList<string>, IReadOnlyList<string>> Map, string Description);

/// <summary>
/// <c>t2i eval</c>: text faithfulness (retrieval of the caption's own training image from a
/// generated one, per sampler) and super-resolution quality (PSNR and SSIM against the real
/// image, next to bicubic upsampling). Captions are a seeded shuffle of the rows, or held-out
/// prompts that name their rows (<see cref="HeldOutPrompts"/>); image i of a run uses seed + i.
/// Conditioning comes from the model's own text encoder, exactly as <c>t2i generate</c> conditions
/// (and nothing is written into the data folder). The trainer measures its stage with the same
/// code (<see cref="Training.StageMetric"/>).
/// </summary>
public sealed class ModelEvaluator(IReadOnlyList<CascadeStage> stages, PromptEncoder encode, ComputeTarget target, EvalSettings settings,
    Action<string>? log = null, PromptMapping? drawAs = null)
{
    /// <summary>
    /// Measures <paramref name="model"/> as it draws: with a prompt vocabulary, each image from the first caption of the
    /// subject nearest its prompt (the text encoder's own rows still read the prompt itself).
    /// </summary>
    public ModelEvaluator(CascadeModel model, EvalSettings settings, Action<string>? log = null)
        : this(model.Stages, prompts => EncodeInChunks(model.TextEncoder, prompts), model.Target, settings, log,
            model.Vocabulary is { } words
                ? new PromptMapping(model.PromptsToDraw, $"each prompt drawn as the first caption of the nearest of the model's {words.SubjectCount} vocabulary subjects (by their {words.Captions.Count} captions and their words)")
                : null)
    {
    }

    /// <param name="sectionDone">Called with the report so far after each sampler and after super-resolution, so a
    /// long run that is stopped keeps what it finished.</param>
    public EvalReport Run(CancellationToken cancellation = default, Action<EvalReport>? sectionDone = null)
    {
        settings.Validate();
        var clock = Stopwatch.StartNew();
        var report = new EvalReport
        {
            Model = settings.ModelFolder,
            Data = settings.DataFolder,
            SrData = settings.SrDataFolder,
            Prompts = settings.PromptsFile,
            Count = settings.Count,
            Seed = settings.Seed,
            Device = $"{target.Device.type} {target.DType}",
            Started = DateTimeOffset.UtcNow,
            PromptVocabulary = drawAs?.Description,
        };
        if (settings.Samplers.Count > 0)
        {
            var data = ImageFolder.Open(settings.DataFolder);
            var (rows, prompts) = RetrievalPrompts(data);
            using var gallery = LoadGallery(data, stages[0].Resolution);
            if (settings.PromptsFile is { } file)
            {
                log?.Invoke($"retrieval: {rows.Count} held-out prompts of {file} against {data.Rows.Count} rows in {data.Folder}");
                report = report with { PromptText = PromptText(data, gallery, rows, prompts) };
            }
            else log?.Invoke($"retrieval: {rows.Count} captions of {data.Rows.Count} rows in {data.Folder}");
            foreach (var run in settings.Samplers)
            {
                var n = run.Count ?? rows.Count;
                var result = Retrieval(data, gallery, rows.Take(n).ToList(), run, cancellation, prompts.Take(n).ToList());
                report = report with { Retrieval = [.. report.Retrieval, result], WallSeconds = clock.Elapsed.TotalSeconds };
                sectionDone?.Invoke(report);
            }
        }
        if (settings.SrDataFolder is { } srFolder)
        {
            var data = ImageFolder.Open(srFolder);
            var result = SuperResolution(data, PickRows(data.Rows.Count, settings.Count, settings.Seed), cancellation);
            report = report with { SuperResolution = result, WallSeconds = clock.Elapsed.TotalSeconds };
            sectionDone?.Invoke(report);
        }
        return report with { WallSeconds = clock.Elapsed.TotalSeconds };
    }

    /// <summary>The rows to retrieve and the prompt for each: the first of the held-out prompts file, else a seeded shuffle of the captions.</summary>
    (IReadOnlyList<int> Rows, IReadOnlyList<string> Prompts) RetrievalPrompts(ImageFolder data)
    {
        if (settings.PromptsFile is { } file)
        {
            var heldOut = HeldOutPrompts.Load(file, data).Take(settings.Count).ToList();
            return (heldOut.Select(p => p.Row).ToList(), heldOut.Select(p => p.Text).ToList());
        }
        var rows = PickRows(data.Rows.Count, settings.Count, settings.Seed);
        return (rows, rows.Select(r => data.Rows[r].Text).ToList());
    }

    /// <summary><paramref name="count"/> rows of a seeded Fisher-Yates shuffle (all rows when there are fewer).</summary>
    public static IReadOnlyList<int> PickRows(int rowCount, int count, long seed)
    {
        var order = Enumerable.Range(0, rowCount).ToArray();
        var random = new Random(unchecked((int)seed ^ (int)(seed >> 32)));
        for (var i = order.Length - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order.Take(Math.Min(count, rowCount)).ToList();
    }

    /// <summary>Generates one base-resolution image per row with <paramref name="run"/> and finds its nearest rows.</summary>
    /// <param name="prompts">The prompt for each row; null: the rows' own captions.</param>
    public RetrievalReport Retrieval(ImageFolder data, Tensor gallery, IReadOnlyList<int> rows, SamplerRun run, CancellationToken cancellation = default,
        IReadOnlyList<string>? prompts = null)
    {
        var stage = stages[0];
        var stageSettings = StageSettings.Resolve(stage, new StageOptions { Sampler = run.Sampler, Steps = run.Steps, GuidanceScale = settings.Guidance });
        var clock = Stopwatch.StartNew();
        log?.Invoke($"{run}: {rows.Count} images at {stage.Resolution} px, guidance {stageSettings.GuidanceScale}, batch {settings.Batch}");
        var captions = prompts ?? rows.Select(r => data.Rows[r].Text).ToList();
        using var generated = Generate(stage, stageSettings, captions, null, settings.Batch, run.ToString(), cancellation);
        var matches = NearestImageRetrieval.Match(generated, gallery, rows);
        var seconds = clock.Elapsed.TotalSeconds;
        log?.Invoke($"{run}: {seconds:F1} s, {seconds / rows.Count:F2} s per image");

        var n = data.Rows.Count;
        var emojiRows = data.Rows.GroupBy(r => NearestImageRetrieval.EmojiOf(r.Text)).ToDictionary(g => g.Key, g => g.Count());
        var sameEmojiHits = matches.Count(m => m.Rank < NearestImageRetrieval.K || m.Nearest.Any(r =>
            NearestImageRetrieval.EmojiOf(data.Rows[r].Text) == NearestImageRetrieval.EmojiOf(data.Rows[m.Row].Text)));
        var sameEmojiChance = matches.Average(m => NearestImageRetrieval.SameEmojiChance(emojiRows[NearestImageRetrieval.EmojiOf(data.Rows[m.Row].Text)], n));
        return new RetrievalReport
        {
            Sampler = run.Sampler,
            Steps = stageSettings.Steps,
            Guidance = stageSettings.GuidanceScale,
            Eta = stageSettings.Eta,
            Resolution = stage.Resolution,
            DatasetRows = n,
            Distance = $"squared L2 over 8-bit RGB pixels at {stage.Resolution} px, against every row of the dataset",
            Top1 = new HitRate(matches.Count(m => m.Rank < 1), matches.Count, 1.0 / n),
            Top5 = new HitRate(matches.Count(m => m.Rank < NearestImageRetrieval.K), matches.Count, Math.Min(1.0, (double)NearestImageRetrieval.K / n)),
            Top5SameEmojiAnyStyle = new HitRate(sameEmojiHits, matches.Count, sameEmojiChance),
            WallSeconds = seconds,
            Items = matches.Select((m, i) => new RetrievalItem(m.Row, captions[i], settings.Seed + i, m.Rank, m.Nearest,
                m.Nearest.Select(r => data.Rows[r].Text).ToList(),
                captions[i] == data.Rows[m.Row].Text ? null : data.Rows[m.Row].Text)).ToList(),
        };
    }

    /// <summary>
    /// The text encoder alone on held-out prompts, before any image is made. Is each prompt's pooled embedding nearest
    /// (cosine) to its row's caption among the rows' first captions, and to its row among every row's captions (a row
    /// as near as the nearest of its captions)? Where it is not, the diffusion model was never told which emoji was
    /// meant. And what the text's pick is worth in images: the real image of the row the text puts nearest, retrieved as
    /// a generated image is, scores what a base stage that drew exactly the emoji the encoder picks would (not a bound:
    /// a network reads more than the pooled vector and can be right where the pick is not).
    /// </summary>
    PromptTextReport PromptText(ImageFolder data, Tensor gallery, IReadOnlyList<int> rows, IReadOnlyList<string> prompts)
    {
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        // Every caption of every row, in row order: the row each belongs to, and where each row's first caption is.
        var captionRow = data.Rows.SelectMany((r, i) => r.Captions.Select(_ => i)).ToArray();
        var firstCaption = new int[data.Rows.Count];
        for (int r = 0, offset = 0; r < data.Rows.Count; offset += data.Rows[r].Captions.Count, r++) firstCaption[r] = offset;
        var similarity = UnitPooled(prompts).matmul(UnitPooled(data.Rows.SelectMany(r => r.Captions).ToList()).t())
            .to_type(ScalarType.Float64).cpu();
        var texts = new List<(int Rank, int NearestFirst, int AnyCaptionRank, int NearestRow, double Similarity)>(rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            var all = similarity[i].data<double>().ToArray();
            var first = firstCaption.Select(c => all[c]).ToArray();
            var best = Enumerable.Repeat(double.NegativeInfinity, data.Rows.Count).ToArray();
            for (var c = 0; c < all.Length; c++) best[captionRow[c]] = Math.Max(best[captionRow[c]], all[c]);
            var nearestRow = Enumerable.Range(0, best.Length).MaxBy(r => best[r]);
            texts.Add((first.Count(v => v > first[rows[i]]), Enumerable.Range(0, first.Length).MaxBy(r => first[r]),
                best.Count(v => v > best[rows[i]]), nearestRow, best[nearestRow]));
        }
        var picked = NearestImageRetrieval.Match(gallery.index(tensor(texts.Select(t => (long)t.NearestRow).ToArray())), gallery, rows);
        var items = texts.Select((t, i) => new PromptTextItem(rows[i], prompts[i], t.Rank, data.Rows[t.NearestFirst].Text,
            t.AnyCaptionRank, data.Rows[t.NearestRow].Text, t.Similarity, picked[i].Rank)).ToList();
        var n = data.Rows.Count;
        HitRate Hits(Func<PromptTextItem, int> rank, int k) => new(items.Count(i => rank(i) < k), items.Count, Math.Min(1.0, (double)k / n));
        return new PromptTextReport
        {
            Similarity = "cosine of the text encoder's pooled embeddings, prompt against every caption of the dataset",
            Top1 = Hits(i => i.Rank, 1),
            Top5 = Hits(i => i.Rank, NearestImageRetrieval.K),
            AnyCaptionTop1 = Hits(i => i.AnyCaptionRank, 1),
            AnyCaptionTop5 = Hits(i => i.AnyCaptionRank, NearestImageRetrieval.K),
            NearestRowImageTop1 = Hits(i => i.NearestRowImageRank, 1),
            NearestRowImageTop5 = Hits(i => i.NearestRowImageRank, NearestImageRetrieval.K),
            Items = items,
        };
    }

    /// <summary>The texts' pooled embeddings at unit length, [N, D] in the caller's scope, encoded in chunks: a dataset's
    /// every caption at once would hold all their token states.</summary>
    Tensor UnitPooled(IReadOnlyList<string> texts)
    {
        var chunks = new List<Tensor>();
        for (var start = 0; start < texts.Count; start += 512)
        {
            using var encoded = encode(texts.Skip(start).Take(512).ToList());
            chunks.Add(F.normalize(encoded.Pooled.to_type(ScalarType.Float32), dim: 1));
        }
        return cat(chunks, 0);
    }

    /// <summary>The super-resolution stage of <see cref="EvalSettings.SrStage"/> (else the first) on area-downsampled real images, against bicubic upsampling.</summary>
    public SuperResolutionReport SuperResolution(ImageFolder data, IReadOnlyList<int> rows, CancellationToken cancellation = default)
    {
        var index = settings.SrStage is { } name
            ? stages.ToList().FindIndex(s => s.Name == name)
            : stages.ToList().FindIndex(s => s.Kind == StageKind.SuperResolution);
        if (index <= 0)
            throw new ArgumentException(settings.SrStage is null ? "The model has no super-resolution stage."
                : $"The model has no super-resolution stage '{settings.SrStage}' (it has: {string.Join(", ", stages.Select(s => s.Name))}).");
        return SuperResolution(stages[index], stages[index - 1].Resolution, data, rows, cancellation);
    }

    /// <summary><paramref name="stage"/> on real images area-downsampled to <paramref name="low"/> px, against bicubic upsampling of the same input.</summary>
    public SuperResolutionReport SuperResolution(CascadeStage stage, int low, ImageFolder data, IReadOnlyList<int> rows, CancellationToken cancellation = default)
    {
        var high = stage.Resolution;
        var stageSettings = StageSettings.Resolve(stage, new StageOptions { Steps = settings.SrSteps, NoiseLevel = settings.SrNoiseLevel, GuidanceScale = settings.SrGuidance });
        var label = $"{stage.Name} {Diffusion.Samplers.SchedulerFactory.SamplerName(stageSettings.Sampler)}:{stageSettings.Steps}";
        log?.Invoke($"{label}: {rows.Count} images {low} -> {high} px, noise level {stageSettings.NoiseLevel}, guidance {stageSettings.GuidanceScale}, batch {settings.SrBatch}");
        var clock = Stopwatch.StartNew();
        var captions = rows.Select(r => data.Rows[r].Text).ToList();

        using var scope = NewDisposeScope();
        var real = LoadImages(data, rows, high);
        var lowResolution = F.interpolate(real, [low, low], mode: InterpolationMode.Area);
        var generated = Generate(stage, stageSettings, captions, lowResolution, settings.SrBatch, label, cancellation);
        log?.Invoke($"{label}: sampled in {clock.Elapsed.TotalSeconds:F1} s; scoring");
        var bicubic = ToPixels(F.interpolate(lowResolution, [high, high], mode: InterpolationMode.Bicubic, align_corners: false));
        var realPixels = ToPixels(real);
        var (modelPsnr, modelSsim) = (ImageQuality.Psnr(realPixels, generated), ImageQuality.Ssim(realPixels, generated));
        var (bicubicPsnr, bicubicSsim) = (ImageQuality.Psnr(realPixels, bicubic), ImageQuality.Ssim(realPixels, bicubic));
        var seconds = clock.Elapsed.TotalSeconds;
        log?.Invoke($"{label}: {seconds:F1} s, {seconds / rows.Count:F2} s per image");
        return new SuperResolutionReport
        {
            Stage = stage.Name,
            Sampler = Diffusion.Samplers.SchedulerFactory.SamplerName(stageSettings.Sampler),
            Steps = stageSettings.Steps,
            Guidance = stageSettings.GuidanceScale,
            NoiseLevel = stageSettings.NoiseLevel,
            LowResolution = low,
            Resolution = high,
            Count = rows.Count,
            LowResolutionInput = $"the real {high} px image (float, [-1, 1]) area-downsampled to {low} px, not quantised, as in training",
            Baseline = "torch bicubic interpolate (a = -0.75, align_corners false) of the same input, clamped and quantised to 8 bits",
            Psnr = $"per image on 8-bit RGB, 10 log10(255² / MSE) over all channels, capped at {ImageQuality.MaxPsnr} dB; mean over images",
            Ssim = "per image: Gaussian window 11, sigma 1.5, K1 0.01, K2 0.03, L 255, valid positions, per RGB channel then averaged; mean over images",
            Model = QualityScores.Of(modelPsnr, modelSsim),
            Bicubic = QualityScores.Of(bicubicPsnr, bicubicSsim),
            WallSeconds = seconds,
            Items = rows.Select((r, i) => new SuperResolutionItem(r, captions[i], settings.Seed + i, modelPsnr[i], modelSsim[i], bicubicPsnr[i], bicubicSsim[i])).ToList(),
        };
    }

    /// <summary>
    /// One image per caption (seed + i) in batches, as 8-bit values in float [N, 3, H, W] on the CPU,
    /// in the caller's dispose scope.
    /// </summary>
    Tensor Generate(CascadeStage stage, StageSettings stageSettings, IReadOnlyList<string> captions, Tensor? lowResolution, int batch,
        string label, CancellationToken cancellation)
    {
        using var finalizers = FinalizerGate.Hold();
        using var inference = inference_mode();
        // The empty prompt last: the unconditional row, captions.Count.
        using var encoded = encode([.. drawAs?.Map(captions) ?? captions, ""]);
        var parts = new List<Tensor>();
        var clock = Stopwatch.StartNew();
        for (var start = 0; start < captions.Count; start += batch)
        {
            using var scope = NewDisposeScope();
            var end = Math.Min(start + batch, captions.Count);
            var indices = Enumerable.Range(start, end - start).Select(i => (long)i).ToList();
            using var text = StageSampler.Conditioning(encoded, indices, [.. indices.Select(_ => (long)captions.Count)], stageSettings.UsesGuidance, target, stage);
            // Image i draws from its own generator (seed + i) as a one-image generation with that seed would; the batch
            // changes only the last bits (SamplingMode.Batched), which evaluation can afford and the speed needs.
            using var noise = new PerSampleNoise(indices.Select(i => new Generator((ulong)(settings.Seed + i))).ToList());
            var low = lowResolution?[start..end].to(target.Device);
            var first = start;
            var images = new StageSampler(stage, stageSettings, noise, target, SamplingMode.Batched).Sample(indices.Count, text, low, null, (step, total) =>
            {
                if (step == total || step % Math.Max(1, total / 10) == 0)
                    log?.Invoke($"{label}: images {first + 1}-{end} of {captions.Count}, step {step}/{total}, {clock.Elapsed.TotalSeconds:F0} s");
            }, cancellation);
            parts.Add(ToPixels(images).cpu().MoveToOuterDisposeScope());
        }
        var all = cat(parts, 0);
        foreach (var part in parts) part.Dispose();
        return all;
    }

    /// <summary>The prompts encoded in chunks of 64 (a batch of 200 long prompts would hold every attention map at once).</summary>
    static TextEmbeddings EncodeInChunks(ITextEncoder encoder, IReadOnlyList<string> prompts)
    {
        using var scope = NewDisposeScope();
        var chunks = new List<TextEmbeddings>();
        try
        {
            for (var start = 0; start < prompts.Count; start += 64)
                chunks.Add(encoder.Encode(prompts.Skip(start).Take(64).ToList()));
            return new TextEmbeddings(cat(chunks.Select(c => c.TokenStates).ToList(), 0), cat(chunks.Select(c => c.Mask).ToList(), 0),
                cat(chunks.Select(c => c.Pooled).ToList(), 0));
        }
        finally
        {
            foreach (var chunk in chunks) chunk.Dispose();
        }
    }

    /// <summary>Every row of the dataset as 8-bit values, [N, 3, size, size] uint8.</summary>
    static Tensor LoadGallery(ImageFolder data, int size)
    {
        using var scope = NewDisposeScope();
        var bytes = data.LoadPixels(size);
        return tensor(bytes, [data.Rows.Count, size, size, 3]).permute(0, 3, 1, 2).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>The rows' images at <paramref name="size"/> as [-1, 1] float32 [N, 3, size, size].</summary>
    internal static Tensor LoadImages(ImageFolder data, IReadOnlyList<int> rows, int size)
    {
        var images = new SixLabors.ImageSharp.Image<Rgb24>[rows.Count];
        try
        {
            Parallel.For(0, rows.Count, i => images[i] = ImageFolder.LoadRgb(data.Rows[rows[i]].Path, size));
            return ImageTensors.FromImages(images);
        }
        finally
        {
            foreach (var image in images) image?.Dispose();
        }
    }

    /// <summary>[-1, 1] samples as the 8-bit values a PNG of them holds (ImageTensors.ToImages' rounding), in float32.</summary>
    public static Tensor ToPixels(Tensor images) =>
        images.detach().to_type(ScalarType.Float32).nan_to_num(0.0).add(1.0).mul(127.5).clamp(0.0, 255.0).round();
}
