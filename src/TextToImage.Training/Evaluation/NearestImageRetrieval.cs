using TextToImage.Diffusion.Native;
using static TorchSharp.torch;

namespace TextToImage.Training.Evaluation;

/// <summary>Where one generated image lands among the dataset's images.</summary>
/// <param name="Row">The dataset row whose caption was the prompt.</param>
/// <param name="Rank">Rows strictly nearer than the caption's own row: 0 is a top-1 hit, below 5 a top-5 hit.</param>
/// <param name="Nearest">The 5 nearest rows, nearest first (ties in row order).</param>
public sealed record RetrievalMatch(int Row, int Rank, IReadOnlyList<int> Nearest);

/// <summary>
/// Text faithfulness by retrieval: the image generated from row r's caption should be nearer to
/// row r's training image than to the other rows' (squared L2 over 8-bit pixels). Distances are
/// exact: integer pixel values in float64 (sums below 2⁵³). A row tied with the caption's own row
/// (a duplicate image in the dataset) does not push it down.
/// </summary>
public static class NearestImageRetrieval
{
    public const int K = 5;

    /// <param name="generated">[G, C, H, W] 8-bit values (0..255), any dtype.</param>
    /// <param name="dataset">[N, C, H, W] 8-bit values, the same image size.</param>
    /// <param name="rows">The dataset row each generated image was prompted with.</param>
    public static IReadOnlyList<RetrievalMatch> Match(Tensor generated, Tensor dataset, IReadOnlyList<int> rows)
    {
        if (generated.shape[0] != rows.Count || !generated.shape.Skip(1).SequenceEqual(dataset.shape.Skip(1)))
            throw new ArgumentException($"{rows.Count} rows for generated [{string.Join(", ", generated.shape)}] against dataset [{string.Join(", ", dataset.shape)}].");
        using var finalizers = FinalizerGate.Hold();
        using var scope = NewDisposeScope();
        var g = generated.to_type(ScalarType.Float64).flatten(1);
        var d = dataset.to_type(ScalarType.Float64).flatten(1);
        // |g - d|² = |g|² + |d|² - 2 g·d, exact in float64 for 8-bit values.
        var distances = (g.pow(2).sum(1, keepdim: true) + d.pow(2).sum(1).unsqueeze(0) - 2 * g.matmul(d.t())).cpu();
        var k = (int)Math.Min(K, dataset.shape[0]);
        var matches = new List<RetrievalMatch>(rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            var row = distances[i].data<double>().ToArray();
            var own = row[rows[i]];
            var rank = row.Count(d => d < own);
            // OrderBy is stable: ties stay in row order, so the listing is deterministic.
            var nearest = Enumerable.Range(0, row.Length).OrderBy(r => row[r]).Take(k).ToList();
            matches.Add(new RetrievalMatch(rows[i], rank, nearest));
        }
        return matches;
    }

    /// <summary>The emoji a caption names, without its style: "cat face, flat style" is "cat face".</summary>
    public static string EmojiOf(string caption)
    {
        var comma = caption.LastIndexOf(", ", StringComparison.Ordinal);
        return comma >= 0 && caption.EndsWith(" style", StringComparison.Ordinal) ? caption[..comma] : caption;
    }

    /// <summary>
    /// Chance of a top-5 "same emoji" hit for a caption whose emoji has <paramref name="sameEmojiRows"/> rows among
    /// <paramref name="datasetRows"/>: the probability that 5 rows drawn at random include one of them.
    /// </summary>
    public static double SameEmojiChance(int sameEmojiRows, int datasetRows, int k = K)
    {
        // 1 - C(N - m, k) / C(N, k), as a product.
        var miss = 1.0;
        for (var j = 0; j < Math.Min(k, datasetRows); j++) miss *= Math.Max(0, datasetRows - sameEmojiRows - j) / (double)(datasetRows - j);
        return 1 - miss;
    }
}
