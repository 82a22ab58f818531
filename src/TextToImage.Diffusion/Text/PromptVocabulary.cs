using System.Text;
using TextToImage.Diffusion.IO;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Text;

/// <summary>
/// A closed-vocabulary model's training captions with their pooled text embeddings (the model folder's
/// <c>vocabulary/</c>): a prompt is drawn as the caption nearest it by cosine, so a wording the stages never saw
/// is drawn as the caption the text encoder reads in it, not as whatever the network makes of an embedding it
/// was never trained near. Text retrieval in front of the cascade, as Re-Imagen retrieves in front of Imagen:
/// for a model that can only draw what it was taught (the bundled emoji), every prompt becomes one it was taught.
/// The empty prompt (the unconditional row of guidance) is never matched. Owns its tensor.
/// </summary>
public sealed class PromptVocabulary : IDisposable
{
    public const string FolderName = "vocabulary";
    public const string CaptionsFile = "captions.txt";
    public const string EmbeddingsFile = "pooled.safetensors";
    const string EmbeddingsTensor = "pooled";
    const string EncoderKey = "text_encoder";
    const int Chunk = 64;   // prompts per encoder call: a batch of thousands would hold every attention map at once

    readonly Tensor _pooled;   // [V, D] float32, unit rows, CPU

    PromptVocabulary(IReadOnlyList<string> captions, Tensor pooled)
    {
        Captions = captions;
        _pooled = pooled;
    }

    /// <summary>The captions, one per line of <c>captions.txt</c>, in the order of the embeddings' rows.</summary>
    public IReadOnlyList<string> Captions { get; }

    /// <summary>
    /// For each prompt the nearest caption and its cosine similarity, or null for the empty (or blank) prompt.
    /// </summary>
    public IReadOnlyList<PromptMatch?> Match(ITextEncoder encoder, IReadOnlyList<string> prompts)
    {
        var matches = new PromptMatch?[prompts.Count];
        var asked = Enumerable.Range(0, prompts.Count).Where(i => !string.IsNullOrWhiteSpace(prompts[i])).ToList();
        foreach (var chunk in asked.Chunk(Chunk))
        {
            using var scope = NewDisposeScope();
            using var encoded = encoder.Encode([.. chunk.Select(i => prompts[i])]);
            var similarity = Unit(encoded.Pooled.cpu().to_type(ScalarType.Float32)).matmul(_pooled.t());   // an encoder may run in half precision
            var (best, index) = similarity.max(1);
            var (bests, indices) = (best.data<float>().ToArray(), index.data<long>().ToArray());
            for (var k = 0; k < chunk.Length; k++)
                matches[chunk[k]] = new PromptMatch(Captions[(int)indices[k]], bests[k]);
        }
        return matches;
    }

    /// <summary>
    /// Reads <c>vocabulary/</c> of a model folder, checking that its embeddings were made by the model's own text
    /// encoder (<paramref name="encoder"/>: <see cref="EncoderKey"/> as <see cref="Write"/> recorded it).
    /// </summary>
    public static PromptVocabulary Load(string folder, TextEncoderConfig encoder)
    {
        var captionsPath = Path.Combine(folder, CaptionsFile);
        var embeddingsPath = Path.Combine(folder, EmbeddingsFile);
        foreach (var path in new[] { captionsPath, embeddingsPath })
            if (!File.Exists(path))
                throw new FileNotFoundException($"The prompt vocabulary needs {path}; rebuild it with `t2i vocabulary`.", path);
        var captions = File.ReadAllLines(captionsPath, Encoding.UTF8);
        var recorded = Safetensors.ReadMetadata(embeddingsPath).GetValueOrDefault(EncoderKey);
        if (recorded != Fingerprint(encoder))
            throw new InvalidDataException($"{embeddingsPath} was made by the text encoder '{recorded}', not this model's '{Fingerprint(encoder)}'; rebuild it with `t2i vocabulary`.");
        var tensors = Safetensors.Load(embeddingsPath);
        try
        {
            var pooled = tensors.GetValueOrDefault(EmbeddingsTensor)
                         ?? throw new InvalidDataException($"{embeddingsPath} has no '{EmbeddingsTensor}' tensor.");
            if (pooled.dim() != 2 || pooled.shape[0] != captions.Length || pooled.shape[1] != encoder.EmbeddingDim)
                throw new InvalidDataException($"{embeddingsPath} holds [{string.Join(", ", pooled.shape)}]: expected one row of {encoder.EmbeddingDim} per caption of {captionsPath} ({captions.Length}).");
            if (captions.Length == 0) throw new InvalidDataException($"{captionsPath} holds no caption.");
            return new PromptVocabulary(captions, Unit(pooled.to_type(ScalarType.Float32)).DetachFromDisposeScope());
        }
        finally
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
        }
    }

    /// <summary>
    /// Writes <c>captions.txt</c> and <c>pooled.safetensors</c> (float16) into <paramref name="folder"/>: the distinct
    /// captions, in order of first appearance, each encoded by <paramref name="encoder"/> (made from <paramref name="config"/>).
    /// Each file appears whole or not at all.
    /// </summary>
    public static int Write(string folder, IEnumerable<string> captions, ITextEncoder encoder, TextEncoderConfig config)
    {
        var distinct = captions.Select(c => c.Trim()).Where(c => c.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (distinct.Count == 0) throw new ArgumentException("The vocabulary needs at least one caption.", nameof(captions));
        if (distinct.FirstOrDefault(c => c.Contains('\n') || c.Contains('\r')) is { } broken)
            throw new ArgumentException($"A caption of the vocabulary spans lines: \"{broken}\".", nameof(captions));
        Directory.CreateDirectory(folder);
        using var scope = NewDisposeScope();
        var rows = new List<Tensor>();
        foreach (var chunk in distinct.Chunk(Chunk))
        {
            using var encoded = encoder.Encode(chunk);
            rows.Add(Unit(encoded.Pooled.cpu().to_type(ScalarType.Float32)));
        }
        Safetensors.Save(Path.Combine(folder, EmbeddingsFile), [new(EmbeddingsTensor, cat(rows, 0))], ScalarType.Float16,
            new Dictionary<string, string> { [EncoderKey] = Fingerprint(config) });
        AtomicFile.Write(Path.Combine(folder, CaptionsFile), stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\n" };
            foreach (var caption in distinct) writer.WriteLine(caption);
        });
        return distinct.Count;
    }

    /// <summary>What makes two encoders' pooled embeddings comparable: their type and shape (not the prompt cache).</summary>
    static string Fingerprint(TextEncoderConfig config) =>
        $"{config.Type}, {config.EmbeddingDim} wide, {config.MaxTokens} tokens, seed {config.Seed}";

    static Tensor Unit(Tensor rows) => nn.functional.normalize(rows, p: 2, dim: 1);

    public void Dispose() => _pooled.Dispose();
}

/// <summary>The vocabulary caption a prompt is drawn as, and its cosine similarity to the prompt.</summary>
public sealed record PromptMatch(string Caption, double Similarity);
