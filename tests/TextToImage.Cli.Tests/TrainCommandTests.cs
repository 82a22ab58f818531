using System.Text.Json;
using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Pipelines;
using static TextToImage.Testing.T2iProcess;

namespace TextToImage.Cli.Tests;

/// <summary><c>t2i train</c> as a user runs it: its own process, on the tiny cascade and dataset.</summary>
public sealed class TrainCommandTests : IDisposable
{
    readonly TinyTrainingSetup _setup = new();

    [Fact]
    public void A_resumed_run_refuses_changed_settings_by_name_and_accepts_repeated_ones()
    {
        var run = _setup.Run("cli");
        var (started, startOutput) = Run("train", "--model", _setup.Model, "--stage", "base", "--data", _setup.Data(16), "--run", run,
            "--steps", "2", "--batch-size", "2", "--lr", "0.001", "--threads", "1", "--token-dropout", "0.2", "--text-noise", "0.1", "--no-export");
        Assert.True(started == 0, startOutput);

        var (refused, refusal) = Run("train", "--run", run, "--steps", "3", "--lr", "0.002", "--batch-size", "2", "--data", _setup.Data(32),
            "--text-noise", "0.3");
        Assert.Equal(1, refused);
        Assert.Contains("(--data, --lr, --text-noise)", refusal);
        // Nothing trained: the checkpoint is still at step 2.
        Assert.Equal(2, CheckpointStep(run));

        // The same values again, and the options that may change, are accepted.
        var prompts = Path.Combine(_setup.Data(16), "held-out.jsonl");
        File.WriteAllLines(prompts, ["""{"file_name": "1.png", "text": "something green"}"""]);
        var (resumed, resumeOutput) = Run("train", "--run", run, "--steps", "3", "--lr", "0.001", "--model", _setup.Model,
            "--log-every", "1", "--eval-every", "3", "--eval-count", "2", "--eval-prompts", prompts, "--threads", "1", "--cooldown", "2",
            "--keep-every", "3", "--no-export");
        Assert.True(resumed == 0, resumeOutput);
        Assert.Equal(3, CheckpointStep(run));
        Assert.Equal(3, CheckpointStep(run, Path.Combine("checkpoints", "step-0000003")));   // kept, as the resume asked
        Assert.Contains($"step 3: kept: {Path.Combine(run, "checkpoints", "step-0000003")}", resumeOutput);
        // The cool-down is kept with the run's options (so the next resume ends the same way), as are the text augmentations.
        var saved = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "options.json"))).RootElement;
        Assert.Equal(2, saved.GetProperty("CooldownSteps").GetInt32());
        Assert.Equal((0.2, 0.1), (saved.GetProperty("TokenDropout").GetDouble(), saved.GetProperty("TextNoise").GetDouble()));
        Assert.Contains("step 3: eval.csv: 3,", resumeOutput);                     // measured at step 3, reported as it ran
        Assert.Contains("step 3: eval-prompts.csv: 3,", resumeOutput);             // and on the held-out prompts, kept for the next resume
        Assert.Equal(prompts, saved.GetProperty("EvalPrompts").GetString());
        Assert.Equal(2, File.ReadAllLines(Path.Combine(run, "eval.csv")).Length);
        Assert.Equal(3, saved.GetProperty("KeepEvery").GetInt32());

        // t2i export --step: a kept step is exported, one not kept is refused by name.
        var (missing, missingOutput) = Run("export", "--run", run, "--step", "2");
        Assert.Equal(1, missing);
        Assert.Contains("kept no checkpoint of step 2; kept: 3.", missingOutput);
        var (exported, exportOutput) = Run("export", "--run", run, "--step", "3");
        Assert.True(exported == 0, exportOutput);
        Assert.Equal("3", Safetensors.ReadMetadata(Path.Combine(_setup.Model, "base", ModelFolder.WeightsFile))["training_steps"]);
    }

    [Fact]
    public void A_start_that_fails_on_its_data_leaves_nothing_that_binds_the_corrected_command()
    {
        var run = _setup.Run("typo");
        var (failed, failure) = Run("train", "--model", _setup.Model, "--stage", "base", "--data", _setup.Data(16) + "-typo", "--run", run,
            "--steps", "1", "--no-export");
        Assert.Equal(1, failed);
        Assert.Contains("-typo", failure);
        Assert.False(Directory.Exists(run), "a run that could not start left a run folder");

        // Other settings than the failed start's are a new run, not a resume.
        var (started, output) = Run("train", "--model", _setup.Model, "--stage", "base", "--data", _setup.Data(16), "--run", run,
            "--steps", "1", "--batch-size", "2", "--threads", "1", "--no-export");
        Assert.True(started == 0, output);
        Assert.Equal(1, CheckpointStep(run));
    }

    static int CheckpointStep(string run, string checkpoint = "checkpoint") =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(run, checkpoint, "state.json"))).RootElement.GetProperty("Step").GetInt32();

    public void Dispose() => _setup.Dispose();
}
