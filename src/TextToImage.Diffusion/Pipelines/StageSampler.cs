using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Samplers;
using TextToImage.Diffusion.Schedules;
using TextToImage.Diffusion.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Pipelines;

/// <summary>
/// The denoising loop of one stage. Every random draw goes through <paramref name="noise"/>,
/// whose row i has its own generator, so image i gets the same noise whatever batch it ran in.
/// <paramref name="mode"/> says how images meet the network: <see cref="SamplingMode.PerImage"/>
/// runs one forward per image (the same bytes whatever the batch), <see cref="SamplingMode.Batched"/>
/// one forward for all (faster; the pixels then differ in their last bits with the batch size).
/// </summary>
internal sealed class StageSampler(CascadeStage stage, StageSettings settings, NoiseSource noise, ComputeTarget target, SamplingMode mode)
{
    /// <param name="text">
    /// The images' conditioning, on the stage's device: one row per image (its prompt), then, when guiding, one more per
    /// image (what guidance contrasts it with, "" for the unconditional): rows i and <paramref name="count"/> + i are image i's.
    /// </param>
    /// <param name="lowResolution">The previous stage's images, [-1, 1], for a super-resolution stage.</param>
    /// <param name="guide">A user's picture to start from (SDEdit) or to keep outside a mask (inpainting); null samples from noise.</param>
    /// <returns>[N, C, H, W] float32 samples on the stage's device, in the caller's dispose scope.</returns>
    public Tensor Sample(int count, TextEmbeddings text, Tensor? lowResolution, StageGuide? guide, Action<int, int> onStep,
        CancellationToken cancellation) =>
        Sample(SamplingGroups.Single(count, settings.GuidanceScale, onStep, cancellation), text, lowResolution, guide);

    /// <summary>
    /// Samples several callers' images in one batch (<paramref name="groups"/>, each with its own guidance scale,
    /// progress and cancellation). A caller that cancels is dropped at the next step with its rows; the returned
    /// samples are those of <paramref name="groups"/>' <see cref="SamplingGroups.Active"/> groups, in order.
    /// </summary>
    public Tensor Sample(SamplingGroups groups, TextEmbeddings text, Tensor? lowResolution, StageGuide? guide)
    {
        var count = groups.Images;
        var rows = settings.UsesGuidance ? 2 * count : count;
        if (text.Count != rows)
            throw new ArgumentException($"{count} images with{(settings.UsesGuidance ? "" : "out")} guidance need {rows} text rows, not {text.Count}.");
        if (groups.Active.Count > 1 && (guide is not null || mode == SamplingMode.PerImage))
            throw new ArgumentException("Only batched text-to-image sampling takes several callers' images in one batch.");
        using var scheduler = SchedulerFactory.Create(settings.Sampler, stage.Scheduler, settings.Eta);
        if (settings.Timesteps is { } timesteps) scheduler.SetTimesteps(timesteps);
        else scheduler.SetTimesteps(settings.Steps);
        var ladder = scheduler.Timesteps;
        var start = guide?.StartIndex(ladder.Count) ?? 0;
        var original = guide?.Original.to(target.Device).expand(count, -1, -1, -1);
        // Strength 0: nothing to run; the picture itself is the answer.
        if (start == ladder.Count) return original!.contiguous();

        // The sample and every scheduler update stay in float32 whatever the network's precision:
        // 50-1000 small updates in bf16's 8-bit mantissa would wash out. Only the network input is cast.
        // The draws come in the same order as text-to-image, so strength 1 without a mask is exactly it.
        var sampleShape = new long[] { count, stage.ImageChannels, stage.Resolution, stage.Resolution };
        var sample = noise.RandnLike(zeros(sampleShape, dtype: ScalarType.Float32)).to(target.Device);
        // SDEdit (Meng et al. 2022): the picture noised to the first timestep run, instead of pure noise.
        if (start > 0) sample = scheduler.Schedule.AddNoise(original!, sample, tensor(new long[] { ladder[start] }));
        var lowResInput = lowResolution is null ? null
            : AugmentLowResolution(lowResolution, stage.Resolution, settings.NoiseLevel, stage.AugmentationSchedule ?? scheduler.Schedule, noise);
        var keep = guide?.Mask is { } mask ? new KnownRegion(original!, mask.to(target.Device), scheduler.Schedule, noise) : null;

        if (guide is { Resamples: true })
            return Resample(sample, ladder, start, guide, text, lowResInput, keep!, groups);

        using var batch = new BatchRows(sample, text, lowResInput);
        var total = ladder.Count - start;
        for (var i = start; i < ladder.Count; i++)
        {
            if (groups.DropCanceled() is { } kept) batch.Keep(kept, settings.UsesGuidance, scheduler, noise);
            using var step = NewDisposeScope();
            var t = ladder[i];
            var output = Predict(batch.Sample, t, batch.Text, batch.LowResInput, groups);
            var next = scheduler.Step(output, t, batch.Sample, noise).PrevSample;
            if (keep is not null) next = keep.Blend(next, i + 1 < ladder.Count ? ladder[i + 1] : -1);
            next.MoveToOuterDisposeScope();
            batch.Advance(next);
            groups.Stepped(i + 1 - start, total);
        }
        return batch.Sample;
    }

    /// <summary>
    /// The batch's per-row tensors, which shrink together when a caller leaves. The narrowed low-resolution rows
    /// live in the caller's scope, as the original does; narrowed text rows are this object's (the caller owns the original).
    /// </summary>
    sealed class BatchRows(Tensor sample, TextEmbeddings text, Tensor? lowResInput) : IDisposable
    {
        bool ownsText;

        public Tensor Sample { get; private set; } = sample;
        public TextEmbeddings Text { get; private set; } = text;
        public Tensor? LowResInput { get; private set; } = lowResInput;

        public void Keep(long[] rows, bool guided, IScheduler scheduler, NoiseSource noise)
        {
            var count = Sample.shape[0];
            using var index = tensor(rows, device: Sample.device);
            var next = Sample.index_select(0, index);
            Sample.Dispose();
            Sample = next;
            // Text rows are images' rows, then (guided) their contrast rows at count + i.
            var text = Text.Select(guided ? [.. rows, .. rows.Select(r => count + r)] : rows);
            Dispose();
            (Text, ownsText) = (text, true);
            LowResInput = LowResInput?.index_select(0, index);
            scheduler.KeepRows(rows);
            noise.KeepRows(rows);
        }

        public void Advance(Tensor next)
        {
            Sample.Dispose();
            Sample = next;
        }

        public void Dispose()
        {
            if (ownsText) Text.Dispose();
        }
    }

    /// <summary>
    /// Inpainting with RePaint's jumps: the walk goes down and back up the ladder. A multistep
    /// sampler's history would not survive going back, so every denoising move is one fresh
    /// single step from its timestep to the next rung's (first order for DPM-Solver++).
    /// </summary>
    Tensor Resample(Tensor sample, IReadOnlyList<int> ladder, int start, StageGuide guide, TextEmbeddings text, Tensor? lowResInput,
        KnownRegion keep, SamplingGroups groups)
    {
        int Level(int rung) => rung < ladder.Count ? ladder[rung] : -1;
        var walk = RepaintWalk.Rungs(start, ladder.Count, guide.JumpLength, guide.JumpCount);
        var total = RepaintWalk.DenoisingSteps(walk);
        var done = 0;
        for (var m = 1; m < walk.Count; m++)
        {
            // One caller only (Sample's check): a cancel ends the walk.
            groups.DropCanceled();
            using var step = NewDisposeScope();
            var (from, to) = (Level(walk[m - 1]), Level(walk[m]));
            Tensor next;
            if (walk[m] > walk[m - 1])
            {
                using var single = SchedulerFactory.Create(settings.Sampler, stage.Scheduler, settings.Eta);
                single.SetTimesteps(to >= 0 ? [from, to] : [from]);
                var output = Predict(sample, from, text, lowResInput, groups);
                next = keep.Blend(single.Step(output, from, sample, noise).PrevSample, to);
            }
            else
            {
                next = keep.Renoise(sample, from, to);
            }
            next.MoveToOuterDisposeScope();
            sample.Dispose();
            sample = next;
            if (walk[m] > walk[m - 1]) groups.Stepped(++done, total);
        }
        return sample;
    }

    /// <summary>
    /// The text rows <see cref="Sample"/> takes, from <paramref name="encoded"/>: row <paramref name="prompts"/>[i] for image i,
    /// then, when guiding, row <paramref name="contrasts"/>[i] (its negative or empty prompt) for image i; on the target, in the stage's precision,
    /// in the form the stage attends to (<see cref="CascadeStage.TextInput"/>).
    /// </summary>
    public static TextEmbeddings Conditioning(TextEmbeddings encoded, IReadOnlyList<long> prompts, IReadOnlyList<long> contrasts, bool guided,
        ComputeTarget target, CascadeStage stage)
    {
        if (contrasts.Count != prompts.Count) throw new ArgumentException($"{prompts.Count} prompt rows need as many contrast rows, not {contrasts.Count}.");
        var rows = guided ? prompts.Concat(contrasts).ToList() : prompts;
        using var selected = encoded.Select(rows);
        if (stage.TextInput == StageTextInput.Tokens) return selected.To(target.Device, stage.DType);
        using var converted = selected.For(stage.TextInput);
        return converted.To(target.Device, stage.DType);
    }

    /// <summary>Every image's (guided) prediction: in one forward, or one forward per image (see <see cref="SamplingMode"/>).</summary>
    Tensor Predict(Tensor sample, int t, TextEmbeddings text, Tensor? lowResInput, SamplingGroups groups)
    {
        var count = (int)sample.shape[0];
        if (mode == SamplingMode.Batched || count == 1) return Forward(sample, t, text, lowResInput, groups);
        return cat(Enumerable.Range(0, count).Select(image =>
        {
            using var rows = text.Select(settings.UsesGuidance ? [image, count + image] : [image]);
            return Forward(sample[image..(image + 1)], t, rows, lowResInput?[image..(image + 1)], groups);
        }).ToArray());
    }

    /// <summary>
    /// The network on these images, each twice when guiding (its row, then its contrast row), combined by
    /// classifier-free guidance. In <see cref="SamplingMode.PerImage"/> it sees one image at a time: convolution
    /// kernels choose their blocking by batch size, so a row computed in a batch differs in its last bits from the
    /// same row alone, and over many steps that flips pixels.
    /// </summary>
    Tensor Forward(Tensor sample, int t, TextEmbeddings text, Tensor? lowResInput, SamplingGroups groups)
    {
        var input = (lowResInput is null ? sample : cat([sample, lowResInput], 1)).to_type(stage.DType);
        if (settings.UsesGuidance) input = cat([input, input], 0);
        var rows = input.shape[0];
        var timesteps = full(rows, t, ScalarType.Int64, sample.device);
        var labels = lowResInput is null ? null : full(rows, settings.NoiseLevel, ScalarType.Int64, sample.device);
        var (states, mask) = stage.UseTextMask ? text.WithoutCommonPadding() : (text.TokenStates, null);
        var output = stage.Network.forward(input, timesteps, states, mask, labels).to_type(ScalarType.Float32);
        if (!settings.UsesGuidance) return output;
        // Per-image mode has one caller (the check in Sample), so its slices of one image always share a scale.
        return groups.UniformGuidanceScale is { } scale
            ? ClassifierFreeGuidance.Combine(output, scale, stage.ImageChannels)
            : ClassifierFreeGuidance.Combine(output, groups.GuidanceScaleRows(sample.device), stage.ImageChannels);
    }

    /// <summary>
    /// Noise-conditioning augmentation (Imagen, Ho et al. 2021): the upsampled low-resolution
    /// image is noised to the stage's level, which the network also receives as its class label,
    /// so at sampling it sees the same corruption it was trained on. Draws one noise tensor
    /// shaped like the upsampled batch from <paramref name="noise"/>.
    /// </summary>
    internal static Tensor AugmentLowResolution(Tensor lowResolution, int resolution, int noiseLevel, NoiseSchedule schedule, NoiseSource noise)
    {
        using var scope = NewDisposeScope();
        var upsampled = nn.functional.interpolate(lowResolution.clamp(-1, 1),
            [resolution, resolution], mode: InterpolationMode.Bilinear, align_corners: true);
        var levels = full(lowResolution.shape[0], noiseLevel, ScalarType.Int64);
        var augmented = schedule.AddNoise(upsampled.cpu(), noise.RandnLike(upsampled.cpu()), levels);
        return augmented.to(lowResolution.device).MoveToOuterDisposeScope();
    }
}
