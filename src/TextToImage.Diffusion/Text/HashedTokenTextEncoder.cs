using System.Text;
using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Text;

/// <summary>
/// A weightless, deterministic encoder for tests and random-weight smoke models: each word is
/// hashed (FNV-1a) into a fixed random embedding table drawn from <paramref name="seed"/>, plus a
/// sinusoidal position code. It carries no language knowledge; a real model names a pretrained
/// encoder in its model folder instead. A start token is always present, so no prompt, not even
/// the empty one, has an all-false mask.
/// </summary>
public sealed partial class HashedTokenTextEncoder(int embeddingDim, int maxTokens, int vocabularySize = 4096, long seed = 0)
    : ITextEncoder
{
    public const string TypeName = "hashed-tokens";
    const int StartToken = 0;

    readonly Tensor _table = CreateTable(vocabularySize, embeddingDim, seed);

    public int EmbeddingDim { get; } = embeddingDim;
    public int MaxTokens { get; } = maxTokens >= 2 ? maxTokens : throw new ArgumentOutOfRangeException(nameof(maxTokens), "At least 2 tokens.");

    public TextEmbeddings Encode(IReadOnlyList<string> prompts)
    {
        using var scope = NewDisposeScope();
        var ids = new long[prompts.Count, MaxTokens];
        var mask = new bool[prompts.Count, MaxTokens];
        for (var row = 0; row < prompts.Count; row++)
        {
            var tokens = Tokenize(prompts[row]).Take(MaxTokens - 1).Prepend(StartToken).ToArray();
            for (var i = 0; i < tokens.Length; i++)
            {
                ids[row, i] = tokens[i];
                mask[row, i] = true;
            }
        }
        var maskTensor = tensor(mask);
        var states = (_table[tensor(ids)] + PositionCode(MaxTokens, EmbeddingDim)) * maskTensor.unsqueeze(-1);
        var weights = maskTensor.to_type(ScalarType.Float32).unsqueeze(-1);
        var pooled = nn.functional.normalize((states * weights).sum(1) / weights.sum(1), p: 2, dim: 1);
        return new TextEmbeddings(states, maskTensor, pooled);
    }

    IEnumerable<long> Tokenize(string prompt) =>
        WordPattern().Matches(prompt.ToLowerInvariant()).Select(m => 1 + Fnv1a(m.Value) % (ulong)(vocabularySize - 1)).Select(h => (long)h);

    static ulong Fnv1a(string word)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(word)) hash = (hash ^ b) * 1099511628211UL;
        return hash;
    }

    static Tensor CreateTable(int vocabularySize, int dim, long seed)
    {
        using var generator = new Generator((ulong)seed);
        return randn([vocabularySize, dim], generator: generator).DetachFromDisposeScope();
    }

    static Tensor PositionCode(int length, int dim)
    {
        var positions = arange(length, dtype: ScalarType.Float32).unsqueeze(1);
        var frequencies = exp(arange(0, dim, 2, dtype: ScalarType.Float32) * (-Math.Log(10000.0) / dim));
        var code = zeros(length, dim);
        code[TensorIndex.Colon, TensorIndex.Slice(0, null, 2)] = sin(positions * frequencies);
        code[TensorIndex.Colon, TensorIndex.Slice(1, null, 2)] = cos(positions * frequencies)[TensorIndex.Colon, TensorIndex.Slice(0, dim / 2)];
        return code;
    }

    [GeneratedRegex(@"[\p{L}\p{N}]+|[^\s\p{L}\p{N}]")]
    private static partial Regex WordPattern();

    public void Dispose() => _table.Dispose();
}
