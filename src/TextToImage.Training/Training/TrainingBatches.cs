using TextToImage.Diffusion.Schedules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TextToImage.Training.Training;

/// <summary>One micro-batch as the network takes it, and what it should output.</summary>
public sealed record TrainingBatch(Tensor Input, Tensor Timesteps, Tensor States, Tensor Mask, Tensor? ClassLabels, Tensor Target, Tensor LossWeights);

/// <summary>
/// Builds training batches for one stage from the dataset in memory: images drawn with replacement,
/// one of each image's captions drawn uniformly, timesteps uniform, captions dropped to the empty prompt at the dropout rate
/// (the kept ones augmented as <see cref="TextAugmentation"/> says). For a
/// super-resolution stage the conditioning image is the high-resolution image downsampled to the
/// previous stage's size (area), upsampled back as the sampler does (bilinear, corners aligned) and
/// noised to a random augmentation level, which the network is told as its class label; then both
/// are cropped at one random place, so large stages train on small windows.
/// </summary>
public sealed class TrainingBatches(
    Tensor pixels, TextEmbeddingCache text, NoiseSchedule schedule, PredictionType objective, TrainingOptions options, int? lowResolution)
{
    /// <summary>Tensors in the caller's dispose scope, on the CPU, float32.</summary>
    public TrainingBatch Next(StepRandom random, int batchSize)
    {
        var count = (int)pixels.shape[0];
        var rows = Enumerable.Range(0, batchSize).Select(_ => (long)random.Managed.Next(count)).ToArray();
        var dropped = Enumerable.Range(0, batchSize).Select(_ => random.Managed.NextDouble() < options.ConditioningDropout).ToArray();
        var captions = rows.Select(row => text.CaptionOf((int)row, random.Managed)).ToArray();
        var index = tensor(rows);
        var x0 = pixels.index_select(0, index).to_type(ScalarType.Float32).div_(127.5).sub_(1.0);

        Tensor? conditioning = null;
        Tensor? levels = null;
        if (lowResolution is { } low)
        {
            levels = randint(0, options.MaxAugmentationLevel, [batchSize], dtype: ScalarType.Int64, generator: random.Torch);
            var size = x0.shape[^1];
            var small = F.interpolate(x0, [low, low], mode: InterpolationMode.Area);
            var upsampled = F.interpolate(small, [size, size], mode: InterpolationMode.Bilinear, align_corners: true);
            conditioning = schedule.AddNoise(upsampled, randn(upsampled.shape, generator: random.Torch), levels);
            if (options.CropSize is { } crop && crop < size)
                (x0, conditioning) = Crop(x0, conditioning, crop, random.Managed);
        }

        var timesteps = randint(0, schedule.NumTrainTimesteps, [batchSize], dtype: ScalarType.Int64, generator: random.Torch);
        var noise = randn(x0.shape, generator: random.Torch);
        var noisy = schedule.AddNoise(x0, noise, timesteps);
        var target = schedule.TrainingTarget(objective, x0, noise, timesteps);
        var input = conditioning is null ? noisy : cat([noisy, conditioning], 1);

        var (states, mask) = Conditioning(tensor(captions), dropped, random.Torch);
        return new TrainingBatch(input, timesteps, states, mask, levels, target, LossWeights(timesteps));
    }

    readonly TextAugmentation _augmentation = new(options.TokenDropout, options.TextNoise, text);

    (Tensor States, Tensor Mask) Conditioning(Tensor captions, bool[] dropped, Generator random)
    {
        var (states, mask) = _augmentation.Apply(text.States.index_select(0, captions), text.Mask.index_select(0, captions), random);
        if (!dropped.Any(d => d)) return (states, mask);
        var drop = tensor(dropped).view(-1, 1);
        return (where(drop.unsqueeze(-1), text.EmptyStates.expand_as(states), states), where(drop, text.EmptyMask.expand_as(mask), mask));
    }

    /// <summary>
    /// Min-SNR-γ: each timestep's loss weighted by min(SNR, γ) / SNR for ε (by / (SNR + 1) for v), so
    /// the nearly clean timesteps, easy and numerous in the loss, stop dominating the gradient.
    /// </summary>
    Tensor LossWeights(Tensor timesteps)
    {
        var steps = timesteps.data<long>().ToArray();
        var weights = steps.Select(t =>
        {
            if (options.MinSnrGamma is not { } gamma) return 1f;
            var alpha = schedule.AlphaCumprod((int)t);
            var snr = alpha / (1 - alpha);
            return (float)(Math.Min(snr, gamma) / (objective == PredictionType.VPrediction ? snr + 1 : snr));
        }).ToArray();
        return tensor(weights);
    }

    static (Tensor, Tensor) Crop(Tensor x0, Tensor conditioning, int crop, Random random)
    {
        var size = (int)x0.shape[^1];
        var xs = new List<Tensor>();
        var cs = new List<Tensor>();
        for (var i = 0; i < x0.shape[0]; i++)
        {
            var (top, left) = (random.Next(size - crop + 1), random.Next(size - crop + 1));
            xs.Add(x0[i..(i + 1), .., top..(top + crop), left..(left + crop)]);
            cs.Add(conditioning[i..(i + 1), .., top..(top + crop), left..(left + crop)]);
        }
        return (cat(xs, 0), cat(cs, 0));
    }
}
