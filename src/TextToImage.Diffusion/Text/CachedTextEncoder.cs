using static TorchSharp.torch;

namespace TextToImage.Diffusion.Text;

/// <summary>
/// A bounded LRU cache of prompt embeddings in front of an encoder: repeated prompts, and above all
/// the empty prompt every classifier-free-guided request encodes, are encoded once. Misses of a
/// call are encoded together in one batch. Each entry owns its one-row tensors outside any dispose
/// scope and is disposed when evicted or when the cache is; <see cref="Encode"/> returns new tensors
/// (concatenated from the entries), which the caller owns and may dispose. Owns the inner encoder.
/// One call at a time, as every <see cref="ITextEncoder"/>.
/// </summary>
public sealed class CachedTextEncoder : ITextEncoder
{
    public const int DefaultCapacity = 64;

    readonly ITextEncoder _inner;
    readonly Dictionary<string, LinkedListNode<(string Prompt, TextEmbeddings Row)>> _entries = new(StringComparer.Ordinal);
    readonly LinkedList<(string Prompt, TextEmbeddings Row)> _recency = new();   // most recent first

    public CachedTextEncoder(ITextEncoder inner, int capacity = DefaultCapacity)
    {
        _inner = inner;
        Capacity = capacity >= 1 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), "At least 1 entry.");
    }

    public ITextEncoder Inner => _inner;
    public int Capacity { get; }
    public int Count => _entries.Count;
    public long Hits { get; private set; }
    public long Misses { get; private set; }

    public int EmbeddingDim => _inner.EmbeddingDim;
    public int MaxTokens => _inner.MaxTokens;

    public TextEmbeddings Encode(IReadOnlyList<string> prompts)
    {
        var missing = prompts.Where(p => !_entries.ContainsKey(p)).Distinct(StringComparer.Ordinal).ToList();
        Misses += missing.Count;
        Hits += prompts.Count - missing.Count;
        // Prompts of this call beyond the capacity are not kept; they are still answered.
        var fresh = missing.Count > 0 ? Split(missing) : [];
        try
        {
            using var scope = NewDisposeScope();
            var rows = prompts.Select(p => fresh.TryGetValue(p, out var row) ? row : Touch(p)).ToList();
            var result = new TextEmbeddings(
                cat(rows.Select(r => r.TokenStates).ToList(), 0),
                cat(rows.Select(r => r.Mask).ToList(), 0),
                cat(rows.Select(r => r.Pooled).ToList(), 0));
            foreach (var (prompt, row) in fresh) Add(prompt, row);
            fresh.Clear();
            return result;
        }
        finally
        {
            foreach (var row in fresh.Values) row.Dispose();
        }
    }

    /// <summary>Encodes the prompts in one batch and splits the result into one-row embeddings.</summary>
    Dictionary<string, TextEmbeddings> Split(List<string> prompts)
    {
        using var batch = _inner.Encode(prompts);
        return prompts.Select((p, i) => (p, Row: batch.Select([i]))).ToDictionary(x => x.p, x => x.Row, StringComparer.Ordinal);
    }

    TextEmbeddings Touch(string prompt)
    {
        var node = _entries[prompt];
        _recency.Remove(node);
        _recency.AddFirst(node);
        return node.Value.Row;
    }

    void Add(string prompt, TextEmbeddings row)
    {
        _entries[prompt] = _recency.AddFirst((prompt, row));
        while (_entries.Count > Capacity)
        {
            var oldest = _recency.Last!;
            _recency.RemoveLast();
            _entries.Remove(oldest.Value.Prompt);
            oldest.Value.Row.Dispose();
        }
    }

    /// <summary>Disposes every cached entry (the inner encoder stays).</summary>
    public void Clear()
    {
        foreach (var (_, row) in _recency) row.Dispose();
        _recency.Clear();
        _entries.Clear();
    }

    public void Dispose()
    {
        Clear();
        _inner.Dispose();
    }
}
