using System.Security.Cryptography;
using System.Text;
using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Native;
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

    TextEmbeddingCache(IReadOnlyList<IReadOnlyList<string>> rowCaptions, Tensor states, Tensor mask, Tensor emptyStates, Tensor emptyMask)
    {
        foreach (var (caption, row) in rowCaptions.SelectMany(c => c).Select((caption, row) => (caption, (long)row)))
            _captionRow.TryAdd(caption, row);
        _firstCaption = new int[rowCaptions.Count + 1];
        for (var row = 0; row < rowCaptions.Count; row++) _firstCaption[row + 1] = _firstCaption[row] + rowCaptions[row].Count;
        States = states;
        Mask = mask;
        EmptyStates = emptyStates;
        EmptyMask = emptyMask;
    }

    /// <summary>[C, L, D] float32, zero at padding: one row per caption, the rows' captions in order.</summary>
    public Tensor States { get; }

    /// <summary>[C, L] bool, true for real tokens.</summary>
    public Tensor Mask { get; }

    /// <summary>The empty prompt, [1, L, D] and [1, L]: the unconditional row of guidance.</summary>
    public Tensor EmptyStates { get; }
    public Tensor EmptyMask { get; }

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
    public static TextEmbeddingCache Load(string dataFolder, string textEncoderFolder, IReadOnlyList<IReadOnlyList<string>> rowCaptions, Action<string>? log = null)
    {
        var config = TextEncoderConfig.Load(textEncoderFolder);
        var captions = rowCaptions.SelectMany(c => c).ToList();
        var key = Key(config, captions);
        var path = Path.Combine(dataFolder, ".t2i-cache", $"text-{key}.safetensors");
        if (File.Exists(path))
        {
            var saved = Safetensors.Load(path);
            log?.Invoke($"text embeddings: {path} (cached)");
            return FromSaved(rowCaptions, saved);
        }

        log?.Invoke($"text embeddings: encoding {captions.Count} captions once into {path}");
        using var encoder = config.Create(textEncoderFolder, ComputeTarget.Cpu);
        using var scope = NewDisposeScope();
        var states = new List<Tensor>();
        var masks = new List<Tensor>();
        const int chunk = 64;
        for (var start = 0; start < captions.Count; start += chunk)
        {
            using var encoded = encoder.Encode(captions.Skip(start).Take(chunk).ToList());
            states.Add(encoded.TokenStates.clone());
            masks.Add(encoded.Mask.clone());
        }
        using var empty = encoder.Encode([""]);
        var allMask = cat(masks, 0);
        var length = Math.Max(2, (long)allMask.sum(1).max().item<long>());
        var entries = new Dictionary<string, Tensor>
        {
            ["states"] = cat(states, 0)[.., ..(int)length].contiguous(),
            ["mask"] = allMask[.., ..(int)length].to_type(ScalarType.Float32).contiguous(),
            ["empty_states"] = empty.TokenStates[.., ..(int)length].contiguous(),
            ["empty_mask"] = empty.Mask[.., ..(int)length].to_type(ScalarType.Float32).contiguous(),
        };
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Safetensors.Save(path, entries, metadata: new Dictionary<string, string> { ["captions"] = captions.Count.ToString() });
        return FromSaved(rowCaptions, entries.ToDictionary(e => e.Key, e => e.Value.DetachFromDisposeScope()));
    }

    /// <summary>
    /// The cached rows of <paramref name="prompts"/>, each a caption of the dataset or "" (the empty prompt);
    /// pooled embeddings are zero (the networks trained here pool nothing).
    /// </summary>
    public TextEmbeddings Select(IReadOnlyList<string> prompts)
    {
        using var scope = NewDisposeScope();
        // Row by row (views, then one small copy): joining the empty prompt to the whole cache would copy all of it per call.
        var rows = prompts.Select(p => p == "" ? -1
            : _captionRow.TryGetValue(p, out var row) ? row : throw new ArgumentException($"'{p}' is not a caption of the cached dataset.")).ToArray();
        var states = cat(rows.Select(r => r < 0 ? EmptyStates : States.narrow(0, r, 1)).ToList(), 0);
        var mask = cat(rows.Select(r => r < 0 ? EmptyMask : Mask.narrow(0, r, 1)).ToList(), 0);
        return new TextEmbeddings(states, mask, zeros(rows.Length, States.shape[2]));
    }

    static TextEmbeddingCache FromSaved(IReadOnlyList<IReadOnlyList<string>> rowCaptions, IReadOnlyDictionary<string, Tensor> saved) => new(rowCaptions,
        saved["states"],
        saved["mask"].to_type(ScalarType.Bool).DetachFromDisposeScope(),
        saved["empty_states"],
        saved["empty_mask"].to_type(ScalarType.Bool).DetachFromDisposeScope());

    static string Key(TextEncoderConfig config, IReadOnlyList<string> captions)
    {
        var text = new StringBuilder(System.Text.Json.JsonSerializer.Serialize(config)).Append('\0');
        foreach (var caption in captions) text.Append(caption).Append('\0');
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16].ToLowerInvariant();
    }

    public void Dispose()
    {
        States.Dispose();
        Mask.Dispose();
        EmptyStates.Dispose();
        EmptyMask.Dispose();
    }
}
