using System.Text.Json;
using System.Text.Json.Serialization;
using TextToImage.Training.Data;

namespace TextToImage.Training.Training;

/// <summary>
/// Everything that defines a training run of one stage. Saved in the run folder at the first start;
/// a resumed run reads it back (only <see cref="MaxSteps"/>, <see cref="CooldownSteps"/>, the intervals, what is
/// measured and the thread count may change), so a run continues exactly as it began.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>The model folder whose stage is trained (its weights are the starting point; export writes back into it).</summary>
    public required string ModelFolder { get; init; }

    /// <summary>Stage name in model_index.json.</summary>
    public required string Stage { get; init; }

    /// <summary>Image folder at the stage's resolution (metadata.jsonl + images).</summary>
    public required string DataFolder { get; init; }

    public BadRowPolicy BadRows { get; init; } = BadRowPolicy.Fail;

    public int MaxSteps { get; init; } = 10_000;
    public int BatchSize { get; init; } = 32;
    public int GradientAccumulation { get; init; } = 1;
    public double LearningRate { get; init; } = 3e-4;
    public int WarmupSteps { get; init; } = 500;

    /// <summary>
    /// Steps before <see cref="MaxSteps"/> over which the learning rate falls linearly to zero (0: constant
    /// to the end). Warm-up, stable, cool-down: a long run trains at a constant rate and can be extended at
    /// any point, while a copy of its run folder resumed with a higher --steps and a cool-down ends
    /// it, so the annealed weights can be measured against the original's at the same step.
    /// </summary>
    public int CooldownSteps { get; init; }

    public double WeightDecay { get; init; } = 0.01;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.99;
    public double GradientClip { get; init; } = 1.0;

    /// <summary>The EMA decay it warms up to: min(EmaDecay, (1 + step) / (10 + step)).</summary>
    public double EmaDecay { get; init; } = 0.999;

    /// <summary>Fraction of rows trained with the empty prompt, for classifier-free guidance.</summary>
    public double ConditioningDropout { get; init; } = 0.1;

    /// <summary>Probability that a token after the first is hidden from a caption's cross-attention (<see cref="TextAugmentation"/>).</summary>
    public double TokenDropout { get; init; }

    /// <summary>Gaussian noise added to the caption's token states, in units of their root mean square (<see cref="TextAugmentation"/>).</summary>
    public double TextNoise { get; init; }

    /// <summary>"epsilon" or "v_prediction" (diffusers' names); export writes it into the scheduler config.</summary>
    public string Objective { get; init; } = "epsilon";

    /// <summary>Min-SNR-γ loss weighting (Hang et al. 2023); null trains with plain MSE.</summary>
    public double? MinSnrGamma { get; init; } = 5;

    /// <summary>Super-resolution: side of the random high-resolution crop trained on (null: whole images).</summary>
    public int? CropSize { get; init; }

    /// <summary>Super-resolution: augmentation levels are drawn uniformly from [0, this).</summary>
    public int MaxAugmentationLevel { get; init; } = 500;

    public long Seed { get; init; }

    public int LogEvery { get; init; } = 25;
    public int CheckpointEvery { get; init; } = 250;
    public int SampleEvery { get; init; } = 1000;

    /// <summary>
    /// Steps between checkpoints kept for good in <c>checkpoints/step-N/</c> (null: only the latest is kept), so a
    /// measured step can be exported (<c>t2i export --step N</c>) after the run has gone past it.
    /// </summary>
    public int? KeepEvery { get; init; }

    /// <summary>
    /// Steps between measurements of the EMA weights into <c>eval.csv</c> (null: none): retrieval for a base
    /// stage, PSNR/SSIM against bicubic for super-resolution, as <c>t2i eval</c> measures them.
    /// </summary>
    public int? EvalEvery { get; init; }

    /// <summary>Captions (base) or images (super-resolution) per measurement: the first of <c>t2i eval</c>'s shuffle.</summary>
    public int EvalCount { get; init; } = 50;

    /// <summary>
    /// Held-out prompts (the layout of <c>t2i eval --prompts</c>) measured at every measurement beside the captions
    /// into <c>eval-prompts.csv</c>, the first <see cref="EvalCount"/> of them (base stages; null: none). Never trained on.
    /// </summary>
    public string? EvalPrompts { get; init; }

    /// <summary>Prompts of the sample grids (base stage); empty: the first 8 captions of a seeded shuffle of the data.</summary>
    public IReadOnlyList<string> SamplePrompts { get; init; } = [];

    /// <summary>Torch intra-op threads (0: torch's default).</summary>
    public int Threads { get; init; }

    /// <summary>The learning rate of optimiser step <paramref name="step"/> (0-based): linear warm-up, constant, linear cool-down to 0.</summary>
    public double LearningRateAt(long step)
    {
        var warmup = WarmupSteps == 0 ? 1.0 : Math.Min(1.0, (step + 1.0) / WarmupSteps);
        var cooldown = CooldownSteps == 0 ? 1.0 : Math.Clamp((MaxSteps - (double)step) / CooldownSteps, 0.0, 1.0);
        return LearningRate * Math.Min(warmup, cooldown);
    }

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Converters = { new JsonStringEnumConverter() } };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static TrainingOptions Parse(string json, string source) =>
        JsonSerializer.Deserialize<TrainingOptions>(json, Json) ?? throw new InvalidDataException($"{source} holds no options.");

    /// <summary>Throws, naming the option, for values training cannot run with.</summary>
    public void Validate()
    {
        Check(MaxSteps >= 1, "--steps must be at least 1");
        Check(BatchSize >= 1, "--batch-size must be at least 1");
        Check(GradientAccumulation >= 1, "--grad-accumulation must be at least 1");
        Check(LearningRate > 0 && LearningRate < 1, "--lr must be in (0, 1)");
        Check(WarmupSteps >= 0, "--warmup must be 0 or more");
        Check(CooldownSteps >= 0 && CooldownSteps <= MaxSteps, "--cooldown must be between 0 and --steps");
        Check(EmaDecay is >= 0 and < 1, "--ema-decay must be in [0, 1)");
        Check(ConditioningDropout is >= 0 and <= 1, "--cond-dropout must be in [0, 1]");
        Check(TokenDropout is >= 0 and < 1, "--token-dropout must be in [0, 1)");
        Check(TextNoise is >= 0 and <= 10, "--text-noise must be between 0 and 10");
        Check(Objective is "epsilon" or "v_prediction", "--objective must be epsilon or v_prediction");
        Check(MinSnrGamma is null or > 0, "--min-snr-gamma must be positive");
        Check(GradientClip > 0, "--grad-clip must be positive");
        Check(CropSize is null or >= 8, "--crop must be at least 8 pixels");
        Check(MaxAugmentationLevel is >= 1 and <= 1000, "--max-aug-level must be between 1 and 1000");
        Check(LogEvery >= 1 && CheckpointEvery >= 1 && SampleEvery >= 1 && EvalEvery is null or >= 1 && KeepEvery is null or >= 1, "intervals must be at least 1");
        Check(EvalCount >= 1, "--eval-count must be at least 1");
        Check(EvalPrompts is null || EvalEvery is not null, "--eval-prompts are measured at each measurement: give --eval-every too");
    }

    static void Check(bool ok, string message)
    {
        if (!ok) throw new ArgumentException(message + ".");
    }
}
