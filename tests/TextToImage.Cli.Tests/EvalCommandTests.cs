using System.Text.Json;
using static TextToImage.Testing.T2iProcess;

namespace TextToImage.Cli.Tests;

/// <summary><c>t2i eval --prompts</c> as a user runs it: its own process, on the tiny cascade and dataset.</summary>
public sealed class EvalCommandTests : IDisposable
{
    readonly TinyTrainingSetup _setup = new();

    [Fact]
    public void Held_out_prompts_are_measured_and_a_bad_prompts_file_is_refused_by_line()
    {
        var prompts = _setup.Run("paraphrases.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(prompts)!);
        File.WriteAllLines(prompts, ["""{"file_name": "2.png", "text": "something blue"}""", """{"file_name": "0.png", "text": "something red"}"""]);
        var report = _setup.Run("report.json");

        var (exit, output) = Run("eval", "--model", _setup.Model, "--data", _setup.Data(16), "--prompts", prompts, "--samplers", "ddim:2",
            "--threads", "1", "--out", report);

        Assert.True(exit == 0, output);
        Assert.Contains("held-out prompts of paraphrases.jsonl", output);
        Assert.Contains("text encoder alone", output);
        using var json = JsonDocument.Parse(File.ReadAllText(report));
        Assert.Equal(prompts, json.RootElement.GetProperty("prompts").GetString());
        var items = json.RootElement.GetProperty("retrieval")[0].GetProperty("items");
        Assert.Equal(["something blue", "something red"], items.EnumerateArray().Select(i => i.GetProperty("caption").GetString()));
        Assert.Equal(["a blue square", "a red square"], items.EnumerateArray().Select(i => i.GetProperty("rowCaption").GetString()));
        Assert.Equal(2, json.RootElement.GetProperty("promptText").GetProperty("top1").GetProperty("count").GetInt32());

        File.AppendAllLines(prompts, ["""{"file_name": "9.png", "text": "not a row"}"""]);
        var (refused, refusal) = Run("eval", "--model", _setup.Model, "--data", _setup.Data(16), "--prompts", prompts, "--samplers", "ddim:2");
        Assert.Equal(1, refused);
        Assert.Contains("line 3 (9.png): not a row of", refusal);

        var (nothing, why) = Run("eval", "--model", _setup.Model, "--data", _setup.Data(16), "--prompts", prompts, "--samplers", "none",
            "--sr-data", _setup.Data(32));
        Assert.Equal(1, nothing);
        Assert.Contains("--prompts are measured by retrieval", why);
    }

    public void Dispose() => _setup.Dispose();
}
