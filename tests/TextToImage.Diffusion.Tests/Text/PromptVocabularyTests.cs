using System.Text.Json.Nodes;
using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Pipelines;
using TextToImage.Diffusion.Tests.Pipelines;
using TextToImage.Diffusion.Text;

namespace TextToImage.Diffusion.Tests.Text;

public sealed class PromptVocabularyTests
{
    static readonly string[] Captions = ["a red apple", "a blue whale", "a green frog", "a red apple", "  ", "a yellow taxi"];

    /// <summary>Writes a vocabulary of <see cref="Captions"/> into the tiny cascade's folder and names it in the index.</summary>
    static void GiveVocabulary(string modelFolder) => Assert.Equal(4, ModelFolder.WritePromptVocabulary(modelFolder, Captions));

    /// <summary>The tiny cascade (seed 7) with a vocabulary of <see cref="Captions"/>, in <paramref name="folder"/>.</summary>
    static void CreateTinyWithVocabulary(string folder)
    {
        RandomCascade.Create(folder, "tiny", seed: 7);
        GiveVocabulary(folder);
    }

    [Fact]
    public void A_prompt_is_drawn_as_its_nearest_caption_and_the_empty_prompt_as_itself()
    {
        using var temp = new TempFolder();
        CreateTinyWithVocabulary(temp.Path);

        using var model = ModelFolder.Load(temp.Path, ComputeTarget.Cpu);
        // Distinct, trimmed, blank dropped, in order of first appearance.
        Assert.Equal(["a red apple", "a blue whale", "a green frog", "a yellow taxi"], model.Vocabulary!.Captions);
        var matches = model.MatchPrompts(["a green frog", "", " ", "green frog", "the yellow taxi"]);

        Assert.Equal("a green frog", matches[0]!.Caption);
        Assert.Equal(1.0, matches[0]!.Similarity, 2);   // float16 embeddings
        Assert.Null(matches[1]);
        Assert.Null(matches[2]);
        Assert.Equal("a green frog", matches[3]!.Caption);
        Assert.InRange(matches[3]!.Similarity, 0.3, 0.999);
        Assert.Equal("a yellow taxi", matches[4]!.Caption);
        Assert.Equal(["a green frog", "", " ", "a green frog", "a yellow taxi"], model.PromptsToDraw(["a green frog", "", " ", "green frog", "the yellow taxi"]));
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

        // The negative prompt is not matched: "frog" stays "frog", not "a green frog".
        var asked = TinyCascade.Request("green frog", resolution: 16) with { NegativePrompt = "frog" };
        using var drawn = new CascadePipeline(withVocabulary).Generate(asked);
        using var expected = new CascadePipeline(plain).Generate(asked with { Prompt = "a green frog" });
        using var literal = new CascadePipeline(plain).Generate(asked);

        Assert.True(TensorAssert.Equal(expected.Final.Images, drawn.Final.Images));
        Assert.False(TensorAssert.Equal(literal.Final.Images, drawn.Final.Images));
        Assert.Equal("a green frog", drawn.Final.DrawnAs!.Caption);
        Assert.Null(expected.Final.DrawnAs);
        var png = GeneratedImages.Encode(drawn.Final, asked, withVocabulary)[0];
        var metadata = ImageOutput.ReadMetadata(new MemoryStream(png))!;
        Assert.Equal("green frog", metadata.Prompt);
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
        Assert.Contains("spans lines", Assert.Throws<ArgumentException>(() => PromptVocabulary.Write(temp.Path, ["a cat", "a\ndog"], encoder, config)).Message);
        Assert.Throws<ArgumentException>(() => PromptVocabulary.Write(temp.Path, [" "], encoder, config));
        Assert.Empty(Directory.GetFiles(temp.Path));
    }
}
