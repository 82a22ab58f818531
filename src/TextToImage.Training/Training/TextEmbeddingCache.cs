using System.Security.Cryptography;
using System.Text;
using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Pipelines;
using TextToImage.Diffusion.Text;
using static TorchSharp.torch;

namespace TextToImage.Training.Training;

/// <summary>
/// The frozen text encoder's output for every caption of a dataset (and for the empty prompt),
/// computed once and kept beside the data in <c>.t2i-cache/</c>, keyed by the encoder's config and
/// the captions: training never runs the encoder. Token states are trimmed to the longest caption
/// (padding is masked everywhere, so the extra columns would change nothing but cost memory).
/// A row with several captions has several consecutive caption rows (<see cref="CaptionOf"/>).
/// </summary>
public sealed class TextEmbeddingCache : IDisposable
{
    readonly Dictionary<string, long> _captionRow = new();   // each caption's first caption row
    readonly int[] _firstCaption;   // per image row, then one past the last caption

    TextEmbeddingCache(IReadOnlyList<IReadOnlyList<string>> rowCaptions, TextEmbeddings captions, TextEmbeddings empty)
    {
        foreach (var (caption, row) in rowCaptions.SelectMany(c => c).Select((caption, row) => (caption, (long)row)))
            _captionRow.TryAdd(caption, row);
        _firstCaption = new int[rowCaptions.Count + 1];
        for (var row = 0; row < rowCaptions.Count; row++) _firstCaption[row + 1] = _firstCaption[row] + rowCaptions[row].Count;
        _captions = captions;
        _empty = empty;
    }

    readonly TextEmbeddings _captions;
    readonly TextEmbeddings _empty;

    /// <summary>[C, L, D] float32, zero at padding: one row per caption, the rows' captions in order, as the stage attends to them.</summary>
    public Tensor States => _captions.TokenStates;

    /// <summary>[C, L] bool, true for real tokens.</summary>
    public Tensor Mask => _captions.Mask;

    /// <summary>The empty prompt, [1, L, D] and [1, L]: the unconditional row of guidance.</summary>
    public Tensor EmptyStates => _empty.TokenStates;
    public Tensor EmptyMask => _empty.Mask;

    /// <summary>
    /// The caption row of image <paramref name="row"/>: its only caption, or one of its captions drawn uniformly
    /// (only then is <paramref name="random"/> drawn from, so a dataset of single captions trains as it always did).
    /// </summary>
    public long CaptionOf(int row, Random random)
    {
        var (first, end) = (_firstCaption[row], _firstCaption[row + 1]);
        return end - first == 1 ? first : first + random.Next(end - first);
    }

    /// <param name="rowCaptions">Each image row's captions (at least one each).</param>
    /// <param name="input">What the trained stage attends to: the cache holds the captions in that form.</param>
    public static TextEmbeddingCache Load(string dataFolder, string textEncoderFolder, IReadOnlyList<IReadOnlyList<string>> rowCaptions,
        StageTextInput input = StageTextInput.Tokens, Action<string>? log = null)
    {
        var config = TextEncoderConfig.Load(textEncoderFolder);
        var captions = rowCaptions.SelectMany(c => c).ToList();
        var key = Key(config, captions);
        var path = Path.Combine(dataFolder, ".t2i-cache", $"text-{key}.safetensors");
        if (File.Exists(path))
        {
            // What the cache does not adopt (the float masks it converts) goes with this scope.
            using var loading = NewDisposeScope();
            var saved = Safetensors.Load(path);
            log?.Invoke($"text embeddings: {path} (cached)");
            return FromSaved(rowCaptions, saved, input);
        }

        log?.Invoke($"text embeddings: encoding {captions.Count} texts once into {path}");   // captions, or held-out prompts
        using var encoder = config.Create(textEncoderFolder, ComputeTarget.Cpu);
        using var scope = NewDisposeScope();
        var states = new List<Tensor>();
        var masks = new List<Tensor>();
        var pooled = new List<Tensor>();
        const int chunk = 64;
        for (var start = 0; start < captions.Count; start += chunk)
        {
            using var encoded = encoder.Encode(captions.Skip(start).Take(chunk).ToList());
            states.Add(encoded.TokenStates.clone());
            masks.Add(encoded.Mask.clone());
            pooled.Add(encoded.Pooled.clone());
        }
        using var empty = encoder.Encode([""]);
        var allMask = cat(masks, 0);
        var length = Math.Max(2, (long)allMask.sum(1).max().item<long>());
        var entries = new Dictionary<string, Tensor>
        {
            ["states"] = cat(states, 0)[.., ..(int)length].contiguous(),
            ["mask"] = allMask[.., ..(int)length].to_type(ScalarType.Float32).contiguous(),
            ["pooled"] = cat(pooled, 0),
            ["empty_states"] = empty.TokenStates[.., ..(int)length].contiguous(),
            ["empty_mask"] = empty.Mask[.., ..(int)length].to_type(ScalarType.Float32).contiguous(),
            ["empty_pooled"] = empty.Pooled.clone(),
        };
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Safetensors.Save(path, entries, metadata: new Dictionary<string, string> { ["captions"] = captions.Count.ToString() });
        return FromSaved(rowCaptions, entries, input);
    }

    /// <summary>
    /// The cached rows of <paramref name="prompts"/>, each a caption of the dataset or "" (the empty prompt).
    /// </summary>
    public TextEmbeddings Select(IReadOnlyList<string> prompts)
    {
        using var scope = NewDisposeScope();
        // Row by row (views, then one small copy): joining the empty prompt to the whole cache would copy all of it per call.
        var rows = prompts.Select(p => p == "" ? -1
            : _captionRow.TryGetValue(p, out var row) ? row : throw new ArgumentException($"'{p}' is not a caption of the cached dataset.")).ToArray();
        Tensor Rows(Func<TextEmbeddings, Tensor> part) =>
            cat(rows.Select(r => r < 0 ? part(_empty) : part(_captions).narrow(0, r, 1)).ToList(), 0);
        return new TextEmbeddings(Rows(e => e.TokenStates), Rows(e => e.Mask), Rows(e => e.Pooled));
    }

    static TextEmbeddingCache FromSaved(IReadOnlyList<IReadOnlyList<string>> rowCaptions, IReadOnlyDictionary<string, Tensor> saved, StageTextInput input)
    {
        using var scope = NewDisposeScope();
        var captions = new TextEmbeddings(saved["states"], saved["mask"], saved["pooled"]);
        var empty = new TextEmbeddings(saved["empty_states"], saved["empty_mask"], saved["empty_pooled"]);
        if (input == StageTextInput.Tokens) return new(rowCaptions, captions, empty);
        using (captions)
        using (empty)
            return new(rowCaptions, captions.For(input), empty.For(input));
    }

    /// <summary>Raised when what a cache file holds changes, so that older files are encoded anew (2: pooled vectors kept).</summary>
    const int FormatVersion = 2;

    static string Key(TextEncoderConfig config, IReadOnlyList<string> captions)
    {
        var text = new StringBuilder(System.Text.Json.JsonSerializer.Serialize(config)).Append('\0').Append(FormatVersion).Append('\0');
        foreach (var caption in captions) text.Append(caption).Append('\0');
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16].ToLowerInvariant();
    }

    public void Dispose()
    {
        _captions.Dispose();
        _empty.Dispose();
    }
}
