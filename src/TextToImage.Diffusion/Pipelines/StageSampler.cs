using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Samplers;
using TextToImage.Diffusion.Schedules;
using TextToImage.Diffusion.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Pipelines;

/// <summary>
/// The denoising loop of one stage. Every random draw goes through <paramref name="noise"/>,
/// whose row i has its own generator, so image i does not depend on the batch it ran in.
/// </summary>
internal sealed class StageSampler(CascadeStage stage, StageSettings settings, NoiseSource noise, ComputeTarget target)
{
    /// <param name="text">One image's conditioning: its prompt row, then (when guiding) the unconditional row; on the stage's device.</param>
    /// <param name="lowResolution">The previous stage's images, [-1, 1], for a super-resolution stage.</param>
    /// <returns>[N, C, H, W] float32 samples on the stage's device, in the caller's dispose scope.</returns>
    public Tensor Sample(int count, TextEmbeddings text, Tensor? lowResolution, Action<int, int> onStep, CancellationToken cancellation)
    {
        using var scheduler = SchedulerFactory.Create(settings.Sampler, stage.Scheduler, settings.Eta);
        if (settings.Timesteps is { } timesteps) scheduler.SetTimesteps(timesteps);
        else scheduler.SetTimesteps(settings.Steps);

        // The sample and every scheduler update stay in float32 whatever the network's precision:
        // 50-1000 small updates in bf16's 8-bit mantissa would wash out. Only the network input is cast.
        var sampleShape = new long[] { count, stage.ImageChannels, stage.Resolution, stage.Resolution };
        var sample = noise.RandnLike(zeros(sampleShape, dtype: ScalarType.Float32)).to(target.Device);
        var lowResInput = lowResolution is null ? null
            : AugmentLowResolution(lowResolution, stage.Resolution, settings.NoiseLevel, scheduler.Schedule, noise);

        for (var i = 0; i < scheduler.Timesteps.Count; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            using var step = NewDisposeScope();
            var t = scheduler.Timesteps[i];
            var output = cat(Enumerable.Range(0, count).Select(image =>
                PredictOne(sample[image..(image + 1)], t, text, lowResInput?[image..(image + 1)])).ToArray());
            var next = scheduler.Step(output, t, sample, noise).PrevSample.MoveToOuterDisposeScope();
            sample.Dispose();
            sample = next;
            onStep(i + 1, scheduler.Timesteps.Count);
        }
        return sample;
    }

    /// <summary>
    /// The network's (guided) prediction for one image. One image per forward, not the whole
    /// batch: convolution kernels choose their blocking by batch size, so a row computed in a
    /// batch differs in its last bits from the same row alone, and over many steps that flips
    /// pixels. This way image i is identical whatever else the request holds.
    /// </summary>
    Tensor PredictOne(Tensor sample, int t, TextEmbeddings text, Tensor? lowResInput)
    {
        var rows = text.Count;
        var input = (lowResInput is null ? sample : cat([sample, lowResInput], 1)).to_type(target.DType);
        if (rows > 1) input = input.expand(rows, -1, -1, -1);
        var timesteps = full(rows, t, ScalarType.Int64, sample.device);
        var labels = lowResInput is null ? null : full(rows, settings.NoiseLevel, ScalarType.Int64, sample.device);
        var mask = stage.UseTextMask ? text.Mask : null;
        var output = stage.Network.forward(input, timesteps, text.TokenStates, mask, labels).to_type(ScalarType.Float32);
        return settings.UsesGuidance ? ClassifierFreeGuidance.Combine(output, settings.GuidanceScale, stage.ImageChannels) : output;
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
