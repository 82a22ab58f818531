using TextToImage.Diffusion.Text;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Tests.Text;

/// <summary>The TorchSharp all-MiniLM-L6-v2 against ONNX Runtime running the package's ONNX export.</summary>
public sealed class MiniLmParityTests(MiniLmFixture fixture, ITestOutputHelper output) : IClassFixture<MiniLmFixture>
{
    const double Tolerance = 1e-4;

    /// <summary>Short and long, empty, punctuation, digits, accents, CJK, emoji, mixed case, whitespace.</summary>
    public static readonly string[] Prompts =
    [
        "",
        "a",
        "hello world",
        "UNwantéd,running",
        "a red apple on a wooden table",
        "A photograph of an astronaut riding a horse on the moon, highly detailed, 8k, trending on artstation",
        "!!! ??? ... ,,, ;;;",
        "3 cats and 12 dogs in 2024: 1,000,000 pixels @ 99.9%",
        "Crème brûlée à la française, s'il vous plaît",
        "naïve café résumé Ångström Øresund",
        "東京の夜景",
        "一只可爱的小猫",
        "고양이 사진",
        "🍎🍌 fruit salad 🥗",
        "a 🐱 sitting on a 🚗",
        "   lots   of\twhitespace\nand newlines   ",
        "ALL CAPS SHOUTING PROMPT",
        "e-mail, co-operate, state-of-the-art",
        "Привет, мир",
        "مرحبا بالعالم",
        "unbelievably hyperrealistic photorealism",
        "(masterpiece:1.2), [best quality], {ultra detailed}",
        "25°C © ™ € ✓ ☃ — “quoted” … a☃cat",
        "a cat",
        string.Join(' ', Enumerable.Repeat("a very long prompt that goes on and on", 20)),
    ];

    [Fact]
    public void Token_ids_are_bert_uncased_ids()
    {
        var encoder = fixture.Encoder;
        Assert.Equal([101, 7592, 2088, 102], encoder.TokenIds("hello world"));
        // Lower-cased and the accent stripped (else "unwantéd" is [UNK], 100), "," split off:
        // vocab.txt lines 18162 "unwanted", 1010 ",", 2770 "running" (0-based).
        Assert.Equal([101, 18162, 1010, 2770, 102], encoder.TokenIds("UNwantéd,running"));
        // Word pieces: "unwantedly" is not in the vocabulary.
        Assert.Equal([101, 18162, 2135, 102], encoder.TokenIds("unwantedly"));
        Assert.Equal([101, 102], encoder.TokenIds(""));
        // CJK characters become single tokens.
        Assert.Equal(7, encoder.TokenIds("東京の夜景").Count);
        // An emoji makes its word [UNK] (100), as in Hugging Face ("a" 1037, "cat" 4937); the
        // supplementary CJK ideograph 𠀀 is a word of its own; a tag character vanishes.
        Assert.Equal([101, 100, 102], encoder.TokenIds("🍎"));
        Assert.Equal([101, 100, 102], encoder.TokenIds("a🐱cat"));
        Assert.Equal([101, 1037, 100, 4937, 102], encoder.TokenIds("a 🐱 cat"));
        Assert.Equal([101, 1037, 100, 4937, 102], encoder.TokenIds("a𠀀cat"));
        Assert.Equal([101, 4937, 102], encoder.TokenIds("cat\U000E0041"));
        // Symbols stay inside their word ("25", "##°", "##c"); one not in the vocabulary makes it [UNK].
        Assert.Equal([101, 2423, 7737, 2278, 102], encoder.TokenIds("25°C"));
        Assert.Equal([101, 100, 102], encoder.TokenIds("a☃cat"));
    }

    [Fact]
    public void Long_prompts_are_truncated_to_max_tokens_ending_with_sep()
    {
        var ids = fixture.Encoder.TokenIds(Prompts[^1]);
        Assert.Equal(fixture.Encoder.MaxTokens, ids.Count);
        Assert.Equal(101, ids[0]);
        Assert.Equal(102, ids[^1]);

        using var embeddings = fixture.Encoder.Encode([Prompts[^1], "a"]);
        Assert.Equal([2, 77, 384], embeddings.TokenStates.shape);
        Assert.Equal([77L, 3L], embeddings.Mask.sum(1).data<long>().ToArray());
    }

    [Fact]
    public void Token_embeddings_match_onnx_runtime_on_varied_prompts()
    {
        Assert.True(Prompts.Length >= 20);
        var difference = MaxDifference(fixture.Encoder, Prompts);
        output.WriteLine($"{Prompts.Length} prompts: max |diff| {difference:E2}");
        Assert.True(difference <= Tolerance, $"max |diff| {difference:E2} > {Tolerance:E0}");
    }

    [Fact]
    public void Token_embeddings_match_onnx_runtime_at_256_tokens()
    {
        // sentence-transformers' own limit for this model: positions far beyond the default 77.
        using var encoder = new MiniLmTextEncoder(fixture.Folder, Diffusion.Native.ComputeTarget.Cpu, maxTokens: 256);
        var prompt = string.Join(' ', Enumerable.Range(0, 300).Select(i => $"word{i}"));
        Assert.Equal(256, encoder.TokenIds(prompt).Count);
        var difference = MaxDifference(encoder, [prompt, "short"]);
        output.WriteLine($"256 tokens: max |diff| {difference:E2}");
        Assert.True(difference <= Tolerance, $"max |diff| {difference:E2} > {Tolerance:E0}");
    }

    [Fact]
    public void Pooled_embedding_is_onnx_output_mean_pooled_and_normalised()
    {
        var prompts = Prompts.Take(8).ToList();
        var (ids, mask) = Tokenize(fixture.Encoder, prompts);
        var reference = fixture.RunReference(ids, mask);
        using var embeddings = fixture.Encoder.Encode(prompts);
        var pooled = embeddings.Pooled.data<float>().ToArray();
        for (var b = 0; b < prompts.Count; b++)
        {
            var real = Enumerable.Range(0, mask.GetLength(1)).Where(t => mask[b, t]).ToList();
            var mean = Enumerable.Range(0, 384).Select(d => real.Average(t => (double)reference[b, t, d])).ToArray();
            var norm = Math.Sqrt(mean.Sum(v => v * v));
            for (var d = 0; d < 384; d++)
                Assert.True(Math.Abs(mean[d] / norm - pooled[b * 384 + d]) <= Tolerance, $"prompt {b}, dim {d}");
        }
    }

    [Fact]
    public void Similar_prompts_have_similar_pooled_embeddings()
    {
        using var embeddings = fixture.Encoder.Encode(["a cat", "a kitten", "a truck"]);
        var cosine = embeddings.Pooled.matmul(embeddings.Pooled.t()).data<float>().ToArray();
        Assert.True(cosine[1] > cosine[2], $"cos(cat, kitten) {cosine[1]} <= cos(cat, truck) {cosine[2]}");
    }

    [Fact]
    public void Padding_and_batch_neighbours_do_not_change_a_prompt()
    {
        using var alone = fixture.Encoder.Encode(["a red apple"]);
        using var batched = fixture.Encoder.Encode([Prompts[5], "a red apple"]);
        using var row = batched.Select([1]);
        Assert.True(alone.TokenStates.allclose(row.TokenStates, rtol: 0, atol: 1e-5));
        Assert.Equal(0f, alone.TokenStates[0, 5..].abs().sum().item<float>());
    }

    /// <summary>Our tokenizer's ids through ONNX Runtime against our network, over the real tokens.</summary>
    double MaxDifference(MiniLmTextEncoder encoder, IReadOnlyList<string> prompts)
    {
        var (ids, mask) = Tokenize(encoder, prompts);
        var reference = fixture.RunReference(ids, mask);
        using var embeddings = encoder.Encode(prompts);
        using var ours = embeddings.TokenStates.contiguous();
        var values = ours.data<float>().ToArray();
        var (length, width) = (ours.shape[1], ours.shape[2]);
        var max = 0.0;
        for (var b = 0; b < prompts.Count; b++)
            for (var t = 0; t < mask.GetLength(1); t++)
                if (mask[b, t])
                    for (var d = 0; d < width; d++)
                        max = Math.Max(max, Math.Abs(reference[b, t, d] - values[(b * length + t) * width + d]));
        return max;
    }

    static (long[,] Ids, bool[,] Mask) Tokenize(MiniLmTextEncoder encoder, IReadOnlyList<string> prompts)
    {
        var rows = prompts.Select(encoder.TokenIds).ToList();
        var length = rows.Max(r => r.Count);
        var (ids, mask) = (new long[rows.Count, length], new bool[rows.Count, length]);
        for (var b = 0; b < rows.Count; b++)
            for (var t = 0; t < rows[b].Count; t++)
                (ids[b, t], mask[b, t]) = (rows[b][t], true);
        return (ids, mask);
    }
}
