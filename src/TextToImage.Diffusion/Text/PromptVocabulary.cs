using System.Text;
using TextToImage.Diffusion.IO;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Text;

/// <summary>
/// A closed-vocabulary model's subjects (the model folder's <c>vocabulary/</c>): each training row, known by its captions
/// and drawn as its first. A prompt is drawn as the subject nearest it, so a wording the stages never saw is drawn as a
/// subject they were taught, not as whatever the network makes of an embedding it was never trained near: text
/// retrieval in front of the cascade, as Re-Imagen retrieves in front of Imagen. A subject is as near as its nearest
/// caption (cosine of pooled text embeddings), plus <see cref="WordWeight"/> times how well the prompt's own words are
/// found among the subject's (<see cref="SubjectWords"/>; each word as near as the subject's nearest word, averaged
/// over the prompt's words), plus a tie-breaker (<see cref="NameWeight"/>): the sentence embedding alone lets one word outweigh the rest (the bundled model's nearest
/// caption to "a present with a bow" is "a bow and arrow"), the words keep every part of the prompt in play. A subject is
/// drawn by its first caption, not its nearest: a keyword caption can be shared by several subjects ("needle") and the
/// first is the one its stages learned best. The empty prompt (the unconditional row of guidance) is never matched.
/// Owns its tensors.
/// </summary>
public sealed class PromptVocabulary : IDisposable
{
    public const string FolderName = "vocabulary";
    public const string CaptionsFile = "captions.txt";
    public const string WordsFile = "words.txt";
    public const string EmbeddingsFile = "pooled.safetensors";
    /// <summary>
    /// The weight of the word match against the caption match, chosen on the bundled model's held-out paraphrases
    /// (MODEL_CARD.md, "Subjects"): 150 of 200 in the top 5 where the nearest caption drew 142, and 53 of 100 paraphrases
    /// written after it was chosen where the nearest caption drew 50.
    /// </summary>
    public const double WordWeight = 0.4;
    /// <summary>
    /// Breaks ties between subjects that share the prompt's nearest caption and words (the keyword "pizza" is a caption of
    /// the pizza and of the brown mushroom): the one whose first caption is nearer the prompt wins. Too small to matter
    /// elsewhere.
    /// </summary>
    public const double NameWeight = 0.01;
    const string CaptionsTensor = "pooled";
    const string WordsTensor = "words";
    const string SubjectsTensor = "subjects";
    const string EncoderKey = "text_encoder";
    const int Chunk = 64;   // texts per encoder call: a batch of thousands would hold every attention map at once

    readonly Tensor _captions;         // [V, D] float32, unit rows, CPU
    readonly Tensor _words;            // [W, D] float32, unit rows
    readonly Tensor _subjectCaptions;  // [S, C] int64: caption rows of each subject, padded with V (a column of -inf)
    readonly Tensor _subjectWords;     // [S, K] int64: word rows of each subject, padded with W (a column of 0)
    readonly Tensor _drawn;            // [S] int64: the caption each subject is drawn as

    PromptVocabulary(IReadOnlyList<string> captions, Tensor captionEmbeddings, Tensor wordEmbeddings, IReadOnlyList<int[]> subjects,
        IReadOnlyList<int[]> subjectWords, int wordCount)
    {
        Captions = captions;
        SubjectCount = subjects.Count;
        _captions = captionEmbeddings.DetachFromDisposeScope();
        _words = wordEmbeddings.DetachFromDisposeScope();
        _subjectCaptions = Padded(subjects, captions.Count).DetachFromDisposeScope();
        _subjectWords = Padded(subjectWords, wordCount).DetachFromDisposeScope();
        _drawn = tensor(subjects.Select(s => (long)s[0]).ToArray()).DetachFromDisposeScope();
    }

    /// <summary>The distinct captions, one per line of <c>captions.txt</c>, in the order of the embeddings' rows.</summary>
    public IReadOnlyList<string> Captions { get; }

    /// <summary>How many subjects (training rows) a prompt may be drawn as.</summary>
    public int SubjectCount { get; }

    /// <summary>
    /// For each prompt the caption of its nearest subject and that caption's cosine similarity to it, or null for the
    /// empty (or blank) prompt.
    /// </summary>
    public IReadOnlyList<PromptMatch?> Match(ITextEncoder encoder, IReadOnlyList<string> prompts)
    {
        var matches = new PromptMatch?[prompts.Count];
        var asked = Enumerable.Range(0, prompts.Count).Where(i => !string.IsNullOrWhiteSpace(prompts[i])).ToList();
        foreach (var chunk in asked.Chunk(Chunk))
        {
            using var scope = NewDisposeScope();
            var captionCosines = Cosines(encoder, [.. chunk.Select(i => prompts[i])], _captions);   // [B, V]
            var nameCosines = captionCosines.index_select(1, _drawn);   // [B, S]: each subject's first caption
            var score = Gathered(cat([captionCosines, full(chunk.Length, 1, float.NegativeInfinity)], 1), _subjectCaptions)
                        + WordWeight * WordScores(encoder, [.. chunk.Select(i => SubjectWords.Of(prompts[i]))])
                        + NameWeight * nameCosines;
            var subject = score.argmax(1);
            var drawn = _drawn.index_select(0, subject);
            var similarity = nameCosines.gather(1, subject.unsqueeze(1)).squeeze(1);
            var (captions, similarities) = (drawn.data<long>().ToArray(), similarity.data<float>().ToArray());
            for (var k = 0; k < chunk.Length; k++)
                matches[chunk[k]] = new PromptMatch(Captions[(int)captions[k]], similarities[k]);
        }
        return matches;
    }

    /// <summary>
    /// [B, S]: for each prompt (given as its words) and subject, the mean over the prompt's words of the cosine of the
    /// subject's nearest word (0 when below 0); 0 for a prompt without subject words.
    /// </summary>
    Tensor WordScores(ITextEncoder encoder, IReadOnlyList<IReadOnlyList<string>> promptWords)
    {
        var distinct = promptWords.SelectMany(w => w).Distinct(StringComparer.Ordinal).ToList();
        if (distinct.Count == 0) return zeros(promptWords.Count, SubjectCount);
        var row = distinct.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i, StringComparer.Ordinal);
        var cosines = Cosines(encoder, distinct, _words).clamp_min(0);                                  // [P, W]
        var best = Gathered(cat([cosines, zeros(distinct.Count, 1)], 1), _subjectWords);               // [P, S]
        var mean = new float[promptWords.Count, distinct.Count];                                        // [B, P]
        for (var b = 0; b < promptWords.Count; b++)
            foreach (var w in promptWords[b]) mean[b, row[w]] = 1f / promptWords[b].Count;
        return tensor(mean).matmul(best);
    }

    /// <summary>[N, rows of <paramref name="table"/>]: cosine of each text's pooled embedding with each row.</summary>
    static Tensor Cosines(ITextEncoder encoder, IReadOnlyList<string> texts, Tensor table) => Embedded(encoder, texts).matmul(table.t());

    /// <summary>[N, S]: the largest of <paramref name="values"/> [N, M + 1] over each subject's columns (padded with M).</summary>
    static Tensor Gathered(Tensor values, Tensor members) =>
        values.index_select(1, members.flatten()).view(values.shape[0], members.shape[0], members.shape[1]).amax(2);

    static Tensor Padded(IReadOnlyList<int[]> lists, int pad)
    {
        var width = Math.Max(1, lists.Max(l => l.Length));
        var padded = new long[lists.Count, width];
        for (var s = 0; s < lists.Count; s++)
            for (var k = 0; k < width; k++) padded[s, k] = k < lists[s].Length ? lists[s][k] : pad;
        return tensor(padded);
    }

    /// <summary>
    /// Reads <c>vocabulary/</c> of a model folder, checking that its embeddings were made by the model's own text
    /// encoder (<paramref name="encoder"/>: <see cref="EncoderKey"/> as <see cref="Write"/> recorded it).
    /// </summary>
    public static PromptVocabulary Load(string folder, TextEncoderConfig encoder)
    {
        var captionsPath = Path.Combine(folder, CaptionsFile);
        var wordsPath = Path.Combine(folder, WordsFile);
        var embeddingsPath = Path.Combine(folder, EmbeddingsFile);
        foreach (var path in new[] { captionsPath, wordsPath, embeddingsPath })
            if (!File.Exists(path))
                throw new FileNotFoundException($"The prompt vocabulary needs {path}; rebuild it with `t2i vocabulary`.", path);
        var captions = File.ReadAllLines(captionsPath, Encoding.UTF8);
        var words = File.ReadAllLines(wordsPath, Encoding.UTF8);
        var recorded = Safetensors.ReadMetadata(embeddingsPath).GetValueOrDefault(EncoderKey);
        if (recorded != Fingerprint(encoder))
            throw new InvalidDataException($"{embeddingsPath} was made by the text encoder '{recorded}', not this model's '{Fingerprint(encoder)}'; rebuild it with `t2i vocabulary`.");
        if (captions.Length == 0) throw new InvalidDataException($"{captionsPath} holds no caption.");
        var tensors = Safetensors.Load(embeddingsPath);
        try
        {
            Tensor Get(string name) => tensors.GetValueOrDefault(name)
                ?? throw new InvalidDataException($"{embeddingsPath} has no '{name}' tensor (an earlier t2i wrote it); rebuild it with `t2i vocabulary`.");
            var (pooled, wordEmbeddings, subjects) = (Get(CaptionsTensor), Get(WordsTensor), Get(SubjectsTensor));
            CheckRows(pooled, captions.Length, encoder.EmbeddingDim, embeddingsPath, $"caption of {captionsPath}");
            CheckRows(wordEmbeddings, words.Length, encoder.EmbeddingDim, embeddingsPath, $"word of {wordsPath}");
            var lists = Subjects(subjects, captions.Length, embeddingsPath);
            var wordLists = SubjectWordRows(captions, words, lists, wordsPath);
            using var scope = NewDisposeScope();
            return new PromptVocabulary(captions, Unit(pooled.to_type(ScalarType.Float32)), Unit(wordEmbeddings.to_type(ScalarType.Float32)),
                lists, wordLists, words.Length);
        }
        finally
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
        }
    }

    static void CheckRows(Tensor embeddings, int rows, int width, string path, string what)
    {
        if (embeddings.dim() != 2 || embeddings.shape[0] != rows || embeddings.shape[1] != width)
            throw new InvalidDataException($"{path} holds [{string.Join(", ", embeddings.shape)}]: expected one row of {width} per {what} ({rows}).");
    }

    /// <summary>Each subject's word rows: the subject words of its captions, as <see cref="Write"/> listed them.</summary>
    static List<int[]> SubjectWordRows(string[] captions, string[] words, List<int[]> subjects, string path)
    {
        var index = words.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i, StringComparer.Ordinal);
        return [.. subjects.Select(s => s.SelectMany(c => SubjectWords.Of(captions[c])).Distinct()
            .Select(w => index.TryGetValue(w, out var i) ? i
                : throw new InvalidDataException($"{path} lacks \"{w}\", a word of the vocabulary's captions; rebuild it with `t2i vocabulary`."))
            .ToArray())];
    }

    /// <summary>Each subject's caption rows from the stored [S, C] table, padded with -1; its first is the one drawn.</summary>
    static List<int[]> Subjects(Tensor table, int captions, string path)
    {
        if (table.dim() != 2 || table.shape[0] == 0) throw new InvalidDataException($"{path} has no subjects.");
        var width = (int)table.shape[1];
        var flat = table.to_type(ScalarType.Int64).data<long>().ToArray();
        var subjects = new List<int[]>((int)table.shape[0]);
        for (var s = 0; s < table.shape[0]; s++)
        {
            var rows = flat[(s * width)..((s + 1) * width)].TakeWhile(c => c >= 0).Select(c => (int)c).ToArray();
            if (rows.Length == 0 || rows.Any(c => c >= captions))
                throw new InvalidDataException($"{path}: subject {s} names no caption or one past the {captions} captions; rebuild it with `t2i vocabulary`.");
            subjects.Add(rows);
        }
        return subjects;
    }

    /// <summary>
    /// Writes <c>captions.txt</c>, <c>words.txt</c> and <c>pooled.safetensors</c> (float16 embeddings of every distinct
    /// caption and subject word, and each subject's captions) into <paramref name="folder"/>: one subject per list of
    /// <paramref name="subjects"/> (a training row's captions, the first the one it is drawn as), blank captions and
    /// subjects without a caption left out, each text encoded by <paramref name="encoder"/> (made from
    /// <paramref name="config"/>). Each file appears whole or not at all. Returns the number of subjects.
    /// </summary>
    public static int Write(string folder, IEnumerable<IReadOnlyList<string>> subjects, ITextEncoder encoder, TextEncoderConfig config)
    {
        var lists = subjects.Select(s => s.Select(c => c.Trim()).Where(c => c.Length > 0).Distinct(StringComparer.Ordinal).ToList())
            .Where(s => s.Count > 0).ToList();
        if (lists.Count == 0) throw new ArgumentException("The vocabulary needs at least one caption.", nameof(subjects));
        var captions = lists.SelectMany(s => s).Distinct(StringComparer.Ordinal).ToList();
        if (captions.FirstOrDefault(c => c.Contains('\n') || c.Contains('\r')) is { } broken)
            throw new ArgumentException($"A caption of the vocabulary spans lines: \"{broken}\".", nameof(subjects));
        var captionRow = captions.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);
        var words = captions.SelectMany(SubjectWords.Of).Distinct(StringComparer.Ordinal).ToList();
        Directory.CreateDirectory(folder);
        using var scope = NewDisposeScope();
        var table = Padded([.. lists.Select(s => s.Select(c => captionRow[c]).ToArray())], -1).to_type(ScalarType.Int32);
        Safetensors.Save(Path.Combine(folder, EmbeddingsFile),
            [new(CaptionsTensor, Embedded(encoder, captions)), new(WordsTensor, Embedded(encoder, words)), new(SubjectsTensor, table)],
            ScalarType.Float16, new Dictionary<string, string> { [EncoderKey] = Fingerprint(config) });
        WriteLines(Path.Combine(folder, CaptionsFile), captions);
        WriteLines(Path.Combine(folder, WordsFile), words);
        return lists.Count;
    }

    /// <summary>[N, D]: each text's pooled embedding, unit length, float32 on the CPU (an encoder may run in half precision).</summary>
    static Tensor Embedded(ITextEncoder encoder, IReadOnlyList<string> texts)
    {
        var rows = new List<Tensor>();
        foreach (var chunk in texts.Chunk(Chunk))
        {
            using var encoded = encoder.Encode(chunk);
            rows.Add(Unit(encoded.Pooled.cpu().to_type(ScalarType.Float32)));
        }
        return rows.Count == 0 ? zeros(0, encoder.EmbeddingDim) : cat(rows, 0);
    }

    static void WriteLines(string path, IEnumerable<string> lines) => AtomicFile.Write(path, stream =>
    {
        using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\n" };
        foreach (var line in lines) writer.WriteLine(line);
    });

    /// <summary>What makes two encoders' pooled embeddings comparable: their type and shape (not the prompt cache).</summary>
    static string Fingerprint(TextEncoderConfig config) =>
        $"{config.Type}, {config.EmbeddingDim} wide, {config.MaxTokens} tokens, seed {config.Seed}";

    static Tensor Unit(Tensor rows) => nn.functional.normalize(rows, p: 2, dim: 1);

    public void Dispose()
    {
        foreach (var tensor in new[] { _captions, _words, _subjectCaptions, _subjectWords, _drawn }) tensor.Dispose();
    }
}

/// <summary>The caption a prompt is drawn as (its nearest subject's), and its cosine similarity to the prompt.</summary>
public sealed record PromptMatch(string Caption, double Similarity);
