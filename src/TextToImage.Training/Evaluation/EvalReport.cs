using System.Text.Json;
using System.Text.Json.Serialization;

namespace TextToImage.Training.Evaluation;

/// <summary>Everything <c>t2i eval</c> measured, with the settings that produced it (written as JSON).</summary>
public sealed record EvalReport
{
    public required string Model { get; init; }
    public required string Data { get; init; }
    public string? SrData { get; init; }

    /// <summary>The held-out prompts file retrieval ran on; null: the training captions.</summary>
    public string? Prompts { get; init; }

    /// <summary>How prompts became what was drawn, when the model has a prompt vocabulary; null: drawn as given.</summary>
    public string? PromptVocabulary { get; init; }

    public required int Count { get; init; }
    public required long Seed { get; init; }
    public required string Device { get; init; }
    public required DateTimeOffset Started { get; init; }
    public double WallSeconds { get; init; }

    /// <summary>With held-out prompts: the text encoder alone, before any image is made.</summary>
    public PromptTextReport? PromptText { get; init; }

    public IReadOnlyList<RetrievalReport> Retrieval { get; init; } = [];
    public SuperResolutionReport? SuperResolution { get; init; }

    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}

/// <summary>Hits out of a count, and what guessing would score.</summary>
public sealed record HitRate(int Hits, int Count, double Chance)
{
    public double Rate => Count == 0 ? 0 : Hits / (double)Count;
}

/// <summary>Text faithfulness of one sampler: nearest training image of each generated image.</summary>
public sealed record RetrievalReport
{
    public required string Sampler { get; init; }
    public required int Steps { get; init; }
    public required double Guidance { get; init; }
    public required double Eta { get; init; }
    public required int Resolution { get; init; }
    public required int DatasetRows { get; init; }
    public required string Distance { get; init; }
    public required HitRate Top1 { get; init; }
    public required HitRate Top5 { get; init; }

    /// <summary>Secondary: a top-5 neighbour shows the caption's emoji in any style (not the primary measure).</summary>
    public required HitRate Top5SameEmojiAnyStyle { get; init; }

    public required double WallSeconds { get; init; }
    public double SecondsPerImage => WallSeconds / Math.Max(1, Top1.Count);
    public required IReadOnlyList<RetrievalItem> Items { get; init; }
}

/// <summary>One prompt: its row, the seed of its image, where its row ranked, and the 5 nearest rows.</summary>
/// <param name="Caption">The prompt: the row's caption, or a held-out prompt.</param>
/// <param name="RowCaption">The row's training caption, when the prompt was a held-out one.</param>
public sealed record RetrievalItem(int Row, string Caption, long Seed, int Rank, IReadOnlyList<int> Nearest, IReadOnlyList<string> NearestCaptions,
    string? RowCaption = null);

/// <summary>Held-out prompts by text alone: is each prompt's embedding nearest its row's caption? And what would a base
/// stage score that drew exactly the row the text puts nearest?</summary>
public sealed record PromptTextReport
{
    public required string Similarity { get; init; }
    /// <summary>Among the rows' first captions (the file-name captions of a <c>t2i dataset</c> folder).</summary>
    public required HitRate Top1 { get; init; }
    public required HitRate Top5 { get; init; }
    /// <summary>Among the rows, each as near as the nearest of all its captions (what a stage trains on).</summary>
    public required HitRate AnyCaptionTop1 { get; init; }
    public required HitRate AnyCaptionTop5 { get; init; }
    /// <summary>The real image of the row nearest by any caption, retrieved among the dataset's images as a generated image
    /// is: what a stage that draws exactly the emoji the encoder picks would score.</summary>
    public required HitRate NearestRowImageTop1 { get; init; }
    public required HitRate NearestRowImageTop5 { get; init; }
    public required IReadOnlyList<PromptTextItem> Items { get; init; }
}

/// <param name="Rank">First captions strictly more similar to the prompt than its row's first caption.</param>
/// <param name="NearestCaption">The most similar first caption.</param>
/// <param name="AnyCaptionRank">Rows strictly more similar than the prompt's row, each by the nearest of its captions.</param>
/// <param name="NearestRowCaption">The first caption of the row most similar by any of its captions.</param>
/// <param name="NearestRowSimilarity">The cosine of the prompt and that row's nearest caption.</param>
/// <param name="NearestRowImageRank">Rows strictly nearer (squared L2) to that row's image than the prompt's row's image.</param>
public sealed record PromptTextItem(int Row, string Prompt, int Rank, string NearestCaption, int AnyCaptionRank, string NearestRowCaption,
    double NearestRowSimilarity, int NearestRowImageRank);

/// <summary>The super-resolution stage against bicubic upsampling of the same low-resolution input.</summary>
public sealed record SuperResolutionReport
{
    public required string Stage { get; init; }
    public required string Sampler { get; init; }
    public required int Steps { get; init; }
    public required double Guidance { get; init; }
    public required int NoiseLevel { get; init; }
    public required int LowResolution { get; init; }
    public required int Resolution { get; init; }
    public required int Count { get; init; }
    public required string LowResolutionInput { get; init; }
    public required string Baseline { get; init; }
    public required string Psnr { get; init; }
    public required string Ssim { get; init; }
    public required QualityScores Model { get; init; }
    public required QualityScores Bicubic { get; init; }
    public required double WallSeconds { get; init; }
    public double SecondsPerImage => WallSeconds / Math.Max(1, Count);
    public required IReadOnlyList<SuperResolutionItem> Items { get; init; }
}

/// <summary>Mean PSNR (dB) and SSIM over the images, with their standard deviations.</summary>
public sealed record QualityScores(double Psnr, double PsnrStd, double Ssim, double SsimStd)
{
    public static QualityScores Of(IReadOnlyList<double> psnr, IReadOnlyList<double> ssim) =>
        new(psnr.Average(), Std(psnr), ssim.Average(), Std(ssim));

    static double Std(IReadOnlyList<double> values)
    {
        var mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Count);
    }
}

public sealed record SuperResolutionItem(int Row, string Caption, long Seed, double ModelPsnr, double ModelSsim, double BicubicPsnr, double BicubicSsim);
