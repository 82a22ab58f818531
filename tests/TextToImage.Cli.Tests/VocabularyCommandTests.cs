using System.Text.Json;
using TextToImage.Diffusion.IO;
using static TextToImage.Testing.T2iProcess;

namespace TextToImage.Cli.Tests;

/// <summary><c>t2i vocabulary</c> as an ML engineer runs it on a trained model: its own process, the tiny cascade and dataset.</summary>
public sealed class VocabularyCommandTests : IDisposable
{
    readonly TinyTrainingSetup _setup = new();

    string VocabularyFolder => Path.Combine(_setup.Model, "vocabulary");

    [Fact]
    public void The_training_captions_become_what_prompts_are_drawn_as_until_removed()
    {
        var (exit, output) = Run("vocabulary", "--model", _setup.Model, "--data", _setup.Data(16));
        Assert.True(exit == 0, output);
        Assert.Contains("4 subjects (4 captions)", output);
        Assert.Equal(["a red square", "a green square", "a blue square", "a yellow square"], File.ReadAllLines(Path.Combine(VocabularyFolder, "captions.txt")));
        Assert.Equal(["red", "square", "green", "blue", "yellow"], File.ReadAllLines(Path.Combine(VocabularyFolder, "words.txt")));

        // The evaluator measures the model as it draws, and says so.
        var report = _setup.Run("report.json");
        var (evaluated, log) = Run("eval", "--model", _setup.Model, "--data", _setup.Data(16), "--samplers", "ddim:2", "--count", "2",
            "--threads", "1", "--out", report);
        Assert.True(evaluated == 0, log);
        Assert.Contains("first caption of the nearest of the model's 4 vocabulary subjects", log);
        using (var json = JsonDocument.Parse(File.ReadAllText(report)))
            Assert.Contains("4 vocabulary subjects", json.RootElement.GetProperty("promptVocabulary").GetString());

        // A generated image records the caption it was drawn as beside the prompt asked.
        var image = _setup.Run("blue.png");
        var (generated, said) = Run("generate", "--model", _setup.Model, "--prompt", "blue square", "--steps", "2", "--resolution", "16", "--out", image);
        Assert.True(generated == 0, said);
        Assert.Contains("drawn as a blue square, the model's vocabulary subject nearest the prompt", said);
        var metadata = ImageOutput.ReadMetadata(File.OpenRead(image))!;
        Assert.Equal("blue square", metadata.Prompt);
        Assert.Equal("a blue square", metadata.Extra!["drawn_as"]);

        var (removed, removal) = Run("vocabulary", "--model", _setup.Model, "--remove");
        Assert.True(removed == 0, removal);
        Assert.Contains("prompts are drawn as given", removal);
        Assert.False(Directory.Exists(VocabularyFolder));
        Assert.DoesNotContain("prompt_vocabulary", File.ReadAllText(Path.Combine(_setup.Model, "model_index.json")));
    }

    [Fact]
    public void Without_data_or_with_both_data_and_remove_it_says_what_to_give_and_writes_nothing()
    {
        var (neither, why) = Run("vocabulary", "--model", _setup.Model);
        Assert.Equal(1, neither);
        Assert.Contains("Give --data (the training captions) or --remove", why);

        var (both, whyNot) = Run("vocabulary", "--model", _setup.Model, "--data", _setup.Data(16), "--remove");
        Assert.Equal(1, both);
        Assert.Contains("not both", whyNot);
        Assert.False(Directory.Exists(VocabularyFolder));
    }

    public void Dispose() => _setup.Dispose();
}
