using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Pipelines;
using TextToImage.Diffusion.Samplers;
using TextToImage.Diffusion.Text;
using static TorchSharp.torch;

namespace TextToImage.Training.Evaluation;

/// <summary>
/// The denoising loop of one stage for many prompts at once, for evaluation: every image's
/// conditional row and (when guiding) unconditional row go through one forward pass per step.
/// Image i draws from its own generator (seed i), in the order <see cref="StageSampler"/> draws,
/// so it gets the same noise as a one-image generation with that seed; the pixels then agree up
/// to the last bits that convolution kernels change with the batch size (which is why the
/// service runs one image per forward, and why evaluation need not).
/// </summary>
public sealed class BatchedStageSampler(CascadeStage stage, StageSettings settings, ComputeTarget target)
{
    /// <param name="text">The prompt rows, one per image, then (when <see cref="StageSettings.UsesGuidance"/>) as many
    /// unconditional rows; on the stage's device.</param>
    /// <param name="seeds">One seed per image.</param>
    /// <param name="lowResolution">The previous stage's images, [-1, 1], for a super-resolution stage.</param>
    /// <returns>[N, C, H, W] float32 samples on the stage's device, in the caller's dispose scope.</returns>
    public Tensor Sample(TextEmbeddings text, IReadOnlyList<long> seeds, Tensor? lowResolution, Action<int, int>? onStep = null,
        CancellationToken cancellation = default)
    {
        var count = seeds.Count;
        var rows = settings.UsesGuidance ? 2 * count : count;
        if (count == 0 || text.Count != rows)
            throw new ArgumentException($"{count} images with{(settings.UsesGuidance ? "" : "out")} guidance need {rows} text rows, not {text.Count}.");
        if (lowResolution is not null && lowResolution.shape[0] != count)
            throw new ArgumentException($"{count} images need {count} low-resolution inputs, not {lowResolution.shape[0]}.");

        using var finalizers = FinalizerGate.Hold();
        using var noise = new PerSampleNoise(seeds.Select(s => new TorchSharp.torch.Generator((ulong)s)).ToList());
        using var scheduler = SchedulerFactory.Create(settings.Sampler, stage.Scheduler, settings.Eta);
        if (settings.Timesteps is { } timesteps) scheduler.SetTimesteps(timesteps);
        else scheduler.SetTimesteps(settings.Steps);

        // As in StageSampler: the initial noise first, then the augmentation noise; float32 throughout, only the network input is cast.
        var sample = noise.RandnLike(zeros([count, stage.ImageChannels, stage.Resolution, stage.Resolution], ScalarType.Float32)).to(target.Device);
        using var lowResInput = lowResolution is null ? null
            : StageSampler.AugmentLowResolution(lowResolution, stage.Resolution, settings.NoiseLevel, scheduler.Schedule, noise);
        var mask = stage.UseTextMask ? text.Mask : null;

        for (var i = 0; i < scheduler.Timesteps.Count; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            using var step = NewDisposeScope();
            var t = scheduler.Timesteps[i];
            var input = (lowResInput is null ? sample : cat([sample, lowResInput], 1)).to_type(target.DType);
            if (settings.UsesGuidance) input = cat([input, input], 0);
            var timestepBatch = full(rows, t, ScalarType.Int64, sample.device);
            var labels = lowResInput is null ? null : full(rows, settings.NoiseLevel, ScalarType.Int64, sample.device);
            var output = stage.Network.forward(input, timestepBatch, text.TokenStates, mask, labels).to_type(ScalarType.Float32);
            if (settings.UsesGuidance) output = ClassifierFreeGuidance.Combine(output, settings.GuidanceScale, stage.ImageChannels);
            var next = scheduler.Step(output, t, sample, noise).PrevSample.MoveToOuterDisposeScope();
            sample.Dispose();
            sample = next;
            onStep?.Invoke(i + 1, scheduler.Timesteps.Count);
        }
        return sample;
    }

    /// <summary>
    /// The text rows <see cref="Sample"/> takes for <paramref name="prompts"/> (rows of <paramref name="encoded"/>):
    /// those rows, then <paramref name="unconditionalRow"/> once per image when guiding; on the target.
    /// </summary>
    public TextEmbeddings Conditioning(TextEmbeddings encoded, IReadOnlyList<long> prompts, long unconditionalRow)
    {
        var rows = settings.UsesGuidance ? prompts.Concat(prompts.Select(_ => unconditionalRow)).ToList() : prompts;
        using var selected = encoded.Select(rows);
        return selected.To(target.Device, target.DType);
    }
}
