using System.Text.Json.Nodes;
using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Pipelines;
using TextToImage.Diffusion.Tests.Pipelines;
using TextToImage.Diffusion.Text;

namespace TextToImage.Diffusion.Tests.Text;

public sealed class PromptVocabularyTests
{
    /// <summary>Training rows' captions, the first of each the one it is drawn as.</summary>
    static readonly string[][] Subjects =
    [
        ["a red apple", "apple", "fruit"],
        ["a blue whale", "whale", "  ", "whale"],
        [" "],
        ["a green frog", "frog"],
        ["a yellow taxi", "taxi", "cab", "fruit"],
    ];

    /// <summary>Writes a vocabulary of <see cref="Subjects"/> into the tiny cascade's folder and names it in the index.</summary>
    static void GiveVocabulary(string modelFolder) => Assert.Equal(4, ModelFolder.WritePromptVocabulary(modelFolder, Subjects));

    /// <summary>The tiny cascade (seed 7) with a vocabulary of <see cref="Subjects"/>, in <paramref name="folder"/>.</summary>
    static void CreateTinyWithVocabulary(string folder)
    {
        RandomCascade.Create(folder, "tiny", seed: 7);
        GiveVocabulary(folder);
    }

    [Fact]
    public void A_prompt_is_drawn_as_the_first_caption_of_its_nearest_subject_and_the_empty_prompt_as_itself()
    {
        using var temp = new TempFolder();
        CreateTinyWithVocabulary(temp.Path);

        using var model = ModelFolder.Load(temp.Path, ComputeTarget.Cpu);
        // Distinct, trimmed, blank dropped, in order of first appearance; the row without a caption is no subject.
        Assert.Equal(["a red apple", "apple", "fruit", "a blue whale", "whale", "a green frog", "frog", "a yellow taxi", "taxi", "cab"], model.Vocabulary!.Captions);
        Assert.Equal(4, model.Vocabulary.SubjectCount);
        string[] prompts = ["a green frog", "", " ", "frog", "the yellow taxi", "cab"];
        var matches = model.MatchPrompts(prompts);

        Assert.Equal("a green frog", matches[0]!.Caption);
        Assert.Equal(1.0, matches[0]!.Similarity, 2);   // float16 embeddings
        Assert.Null(matches[1]);
        Assert.Null(matches[2]);
        Assert.Equal("a green frog", matches[3]!.Caption);   // drawn as its subject's first caption, not as the caption "frog"
        Assert.InRange(matches[3]!.Similarity, 0.3, 0.999);
        Assert.Equal("a yellow taxi", matches[4]!.Caption);
        Assert.Equal("a yellow taxi", matches[5]!.Caption);
        Assert.Equal(["a green frog", "", " ", "a green frog", "a yellow taxi", "a yellow taxi"], model.PromptsToDraw(prompts));
    }

    [Fact]
    public void The_prompts_words_keep_one_word_from_outweighing_the_rest()
    {
        // "a red gate": its sentence embedding is nearest "a red square", but only the torii gate has both of its words.
        using var encoder = new FixedTextEncoder(new()
        {
            ["a red gate"] = [1, 0.3f, 0, 0, 0, 0],
            ["a red square"] = [1, 0, 0, 0, 0, 0],
            ["a red torii gate"] = [0.8f, 0.6f, 0, 0, 0, 0],
            ["red"] = [0, 0, 1, 0, 0, 0],
            ["square"] = [0, 0, 0, 1, 0, 0],
            ["torii"] = [0, 0, 0, 0, 1, 0],
            ["gate"] = [0, 0, 0, 0, 0, 1],
        });
        var config = new TextEncoderConfig { Type = "fixed", EmbeddingDim = 6, MaxTokens = 4 };
        using var temp = new TempFolder();
        PromptVocabulary.Write(temp.Path, [["a red square"], ["a red torii gate"]], encoder, config);
        using var vocabulary = PromptVocabulary.Load(temp.Path, config);

        var gate = vocabulary.Match(encoder, ["a red gate"])[0]!;
        Assert.Equal("a red torii gate", gate.Caption);
        // The caption alone would have drawn the square: 0.94 against 0.96; half of the words against all of them decides.
        Assert.Equal(0.98 / Math.Sqrt(1.09), gate.Similarity, 2);
        Assert.True(gate.Similarity < 1 / Math.Sqrt(1.09));
        Assert.Equal("a red square", vocabulary.Match(encoder, ["a red square"])[0]!.Caption);
    }

    [Fact]
    public void A_caption_two_subjects_share_is_drawn_as_the_subject_whose_first_caption_is_nearer()
    {
        // The keyword "pizza" is a caption of the brown mushroom too, and the mushroom comes first.
        using var encoder = new FixedTextEncoder(new()
        {
            ["pizza"] = [1, 0, 0, 0],
            ["a pizza"] = [0.9f, 0.1f, 0, 0],
            ["a brown mushroom"] = [0, 0, 1, 0],
            ["brown"] = [0, 1, 0, 0],
            ["mushroom"] = [0, 0, 0, 1],
        });
        var config = new TextEncoderConfig { Type = "fixed", EmbeddingDim = 4, MaxTokens = 4 };
        using var temp = new TempFolder();
        PromptVocabulary.Write(temp.Path, [["a brown mushroom", "pizza"], ["a pizza", "pizza"]], encoder, config);
        using var vocabulary = PromptVocabulary.Load(temp.Path, config);

        Assert.Equal("a pizza", vocabulary.Match(encoder, ["pizza"])[0]!.Caption);
        Assert.Equal("a brown mushroom", vocabulary.Match(encoder, ["a brown mushroom"])[0]!.Caption);
    }

    [Fact]
    public void The_cascade_draws_the_caption_keeps_the_negative_prompt_and_says_what_it_drew()
    {
        using var temp = new TempFolder();
        RandomCascade.Create(temp["plain"], "tiny", seed: 7);
        RandomCascade.Create(temp["vocabulary"], "tiny", seed: 7);
        GiveVocabulary(temp["vocabulary"]);
        using var plain = ModelFolder.Load(temp["plain"], ComputeTarget.Cpu);
        using var withVocabulary = ModelFolder.Load(temp["vocabulary"], ComputeTarget.Cpu);

        // The negative prompt is not matched: it stays "frog" while the prompt "frog" is drawn as "a green frog",
        // so guidance runs (a prompt equal to its negative prompt would skip it: nothing to contrast).
        var asked = TinyCascade.Request("frog", resolution: 16) with { NegativePrompt = "frog" };
        using var drawn = new CascadePipeline(withVocabulary).Generate(asked);
        using var expected = new CascadePipeline(plain).Generate(asked with { Prompt = "a green frog" });
        using var literal = new CascadePipeline(plain).Generate(asked);

        Assert.Equal("a green frog", drawn.Final.DrawnAs!.Caption);
        Assert.True(TensorAssert.Equal(expected.Final.Images, drawn.Final.Images));
        Assert.False(TensorAssert.Equal(literal.Final.Images, drawn.Final.Images));
        // Batching groups it with guided requests, not with those that skip guidance.
        var batched = asked with { Sampling = SamplingMode.Batched };
        Assert.Equal(new CascadePipeline(plain).BatchKey(batched with { Prompt = "a green frog" }), new CascadePipeline(withVocabulary).BatchKey(batched));
        Assert.NotEqual(new CascadePipeline(plain).BatchKey(batched), new CascadePipeline(withVocabulary).BatchKey(batched));
        Assert.Equal("a green frog", drawn.Final.DrawnAs!.Caption);
        Assert.Null(expected.Final.DrawnAs);
        var png = GeneratedImages.Encode(drawn.Final, asked, withVocabulary)[0];
        var metadata = ImageOutput.ReadMetadata(new MemoryStream(png))!;
        Assert.Equal("frog", metadata.Prompt);
        Assert.Equal("a green frog", metadata.Extra!["drawn_as"]);
    }

    [Fact]
    public void Matching_and_drawing_through_the_vocabulary_leave_no_tensor_alive()
    {
        using var temp = new TempFolder();
        CreateTinyWithVocabulary(temp.Path);
        using var model = ModelFolder.Load(temp.Path, ComputeTarget.Cpu);
        var pipeline = new CascadePipeline(model);
        // Warm-up: lazily made state, and the encoder's prompt cache filled to capacity, are not leaks.
        pipeline.Generate(TinyCascade.Request("frog", resolution: 16)).Dispose();
        for (var i = 0; i < CachedTextEncoder.DefaultCapacity; i++) model.MatchPrompts([$"warm-up prompt {i}"]);
        var live = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        // More distinct prompts than the encoder's cache holds, so matching encodes (and evicts) throughout.
        for (var i = 0; i < 3 * CachedTextEncoder.DefaultCapacity; i++)
            Assert.Equal("a yellow taxi", model.MatchPrompts([$"yellow taxi number {i}"])[0]!.Caption);
        for (var i = 0; i < 4; i++)
            pipeline.Generate(TinyCascade.Request($"a green frog {i}", resolution: 16, seed: i)).Dispose();

        Assert.Equal(live, TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void A_vocabulary_that_does_not_fit_the_model_is_refused_at_load_with_how_to_rebuild_it()
    {
        using var temp = new TempFolder();
        CreateTinyWithVocabulary(temp.Path);
        var captions = Path.Combine(temp.Path, PromptVocabulary.FolderName, PromptVocabulary.CaptionsFile);
        File.AppendAllLines(captions, ["a purple cow"]);
        Assert.Contains("expected one row of 32 per caption", Assert.Throws<InvalidDataException>(() => ModelFolder.Load(temp.Path, ComputeTarget.Cpu)).Message);

        GiveVocabulary(temp.Path);
        var words = Path.Combine(temp.Path, PromptVocabulary.FolderName, PromptVocabulary.WordsFile);
        File.WriteAllLines(words, File.ReadAllLines(words).Select(w => w == "frog" ? "toad" : w));
        Assert.Contains("lacks \"frog\"", Assert.Throws<InvalidDataException>(() => ModelFolder.Load(temp.Path, ComputeTarget.Cpu)).Message);

        // A vocabulary written before subjects (embeddings of its captions only) is refused with how to rebuild it.
        GiveVocabulary(temp.Path);
        var embeddings = Path.Combine(temp.Path, PromptVocabulary.FolderName, PromptVocabulary.EmbeddingsFile);
        var stored = Safetensors.Load(embeddings);
        Safetensors.Save(embeddings, stored.Where(t => t.Key == "pooled"), metadata: Safetensors.ReadMetadata(embeddings));
        foreach (var tensor in stored.Values) tensor.Dispose();
        Assert.Contains("has no 'words' tensor (an earlier t2i wrote it); rebuild it with `t2i vocabulary`", Assert.Throws<InvalidDataException>(() => ModelFolder.Load(temp.Path, ComputeTarget.Cpu)).Message);

        GiveVocabulary(temp.Path);
        var encoderPath = Path.Combine(temp.Path, "text_encoder", TextEncoderConfig.FileName);
        var encoder = JsonNode.Parse(File.ReadAllText(encoderPath))!;
        encoder["seed"] = 99;
        File.WriteAllText(encoderPath, encoder.ToJsonString());
        Assert.Contains("rebuild it with `t2i vocabulary`", Assert.Throws<InvalidDataException>(() => ModelFolder.Load(temp.Path, ComputeTarget.Cpu)).Message);

        File.Delete(captions);
        Assert.Contains(PromptVocabulary.CaptionsFile, Assert.Throws<FileNotFoundException>(() => ModelFolder.Load(temp.Path, ComputeTarget.Cpu)).Message);
    }

    [Fact]
    public void Removing_the_vocabulary_unnames_it_first_and_a_model_saved_over_loses_it_too()
    {
        using var temp = new TempFolder();
        CreateTinyWithVocabulary(temp.Path);

        Assert.True(ModelFolder.RemovePromptVocabulary(temp.Path));
        Assert.Null(ModelIndex.Load(temp.Path).PromptVocabularyFolder);
        Assert.False(Directory.Exists(Path.Combine(temp.Path, PromptVocabulary.FolderName)));
        Assert.False(ModelFolder.RemovePromptVocabulary(temp.Path));
        using (var model = ModelFolder.Load(temp.Path, ComputeTarget.Cpu)) Assert.Null(model.Vocabulary);

        GiveVocabulary(temp.Path);
        RandomCascade.Create(temp.Path, "tiny", seed: 8, overwrite: true);
        Assert.False(Directory.Exists(Path.Combine(temp.Path, PromptVocabulary.FolderName)));
    }

    [Fact]
    public void A_caption_that_spans_lines_or_no_caption_at_all_is_refused()
    {
        using var temp = new TempFolder();
        using var encoder = new HashedTokenTextEncoder(8, 6);
        var config = new TextEncoderConfig { Type = HashedTokenTextEncoder.TypeName, EmbeddingDim = 8, MaxTokens = 6 };
        Assert.Contains("spans lines", Assert.Throws<ArgumentException>(() => PromptVocabulary.Write(temp.Path, [["a cat"], ["a\ndog"]], encoder, config)).Message);
        Assert.Throws<ArgumentException>(() => PromptVocabulary.Write(temp.Path, [[" "], []], encoder, config));
        Assert.Empty(Directory.GetFiles(temp.Path));
    }
}

/// <summary>A text encoder that gives each of a fixed set of texts the pooled embedding it is told (one token state, the same).</summary>
sealed class FixedTextEncoder(Dictionary<string, float[]> pooled) : ITextEncoder
{
    public int EmbeddingDim => pooled.Values.First().Length;
    public int MaxTokens => 4;

    public TextEmbeddings Encode(IReadOnlyList<string> prompts)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var rows = TorchSharp.torch.stack(prompts.Select(p => TorchSharp.torch.tensor(pooled.TryGetValue(p, out var v) ? v
            : throw new KeyNotFoundException($"No embedding for \"{p}\"."))));
        return new TextEmbeddings(rows.unsqueeze(1), TorchSharp.torch.ones(prompts.Count, 1, dtype: TorchSharp.torch.ScalarType.Bool), rows);
    }

    public void Dispose() { }
}
