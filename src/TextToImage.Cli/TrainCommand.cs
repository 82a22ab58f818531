using System.CommandLine;
using System.Runtime.InteropServices;
using Spectre.Console;
using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Native;
using TextToImage.Training.Data;
using TextToImage.Training.Training;
using static TorchSharp.torch;

namespace TextToImage.Cli;

/// <summary>
/// <c>t2i train</c>: trains one stage into a run folder, resuming when the folder has a checkpoint,
/// then exports the EMA weights into the model folder. <c>t2i export</c> exports a run's last checkpoint (or a kept one).
/// </summary>
static class TrainCommand
{
    const string OptionsFile = "options.json";

    public static Command Create()
    {
        var defaults = new TrainingOptions { ModelFolder = "", Stage = "", DataFolder = "" };
        var model = new Option<DirectoryInfo?>("--model", "-m") { Description = "Model folder whose stage is trained (new runs; make one with t2i new-model)." };
        var stage = new Option<string?>("--stage") { Description = "Stage name from model_index.json, e.g. base or sr_128 (new runs)." };
        var data = new Option<DirectoryInfo?>("--data") { Description = "Image folder (metadata.jsonl) at the stage's resolution (new runs)." };
        var run = new Option<DirectoryInfo>("--run") { Description = "Run folder: options, checkpoints, loss.csv/png, samples/. Resumed when it holds a checkpoint.", Required = true };
        var steps = new Option<int?>("--steps") { Description = $"Optimiser steps to reach (default {defaults.MaxSteps}); may be raised when resuming." };
        var batch = Opt<int>("--batch-size", "Images per micro-batch.", defaults.BatchSize);
        var accumulation = Opt<int>("--grad-accumulation", "Micro-batches per optimiser step.", defaults.GradientAccumulation);
        var lr = Opt<double>("--lr", "AdamW learning rate after warm-up.", defaults.LearningRate);
        var warmup = Opt<int>("--warmup", "Linear warm-up steps.", defaults.WarmupSteps);
        var cooldown = new Option<int?>("--cooldown") { Description = "Steps before --steps over which the learning rate falls linearly to 0 (default 0: constant); may change when resuming." };
        var weightDecay = Opt<double>("--weight-decay", "AdamW weight decay.", defaults.WeightDecay);
        var clip = Opt<double>("--grad-clip", "Gradient norm clipping.", defaults.GradientClip);
        var ema = Opt<double>("--ema-decay", "EMA decay (warmed up as min(decay, (1+n)/(10+n))).", defaults.EmaDecay);
        var dropout = Opt<double>("--cond-dropout", "Fraction of rows trained unconditionally (classifier-free guidance).", defaults.ConditioningDropout);
        var tokenDropout = Opt<double>("--token-dropout", "Probability that a caption token after the first is hidden from the stage (0: none), so no single word carries a caption.", defaults.TokenDropout);
        var textNoise = Opt<double>("--text-noise", "Gaussian noise on the caption's token states, in units of their RMS (0: none), so nearby wordings draw alike.", defaults.TextNoise);
        var objective = Opt<string>("--objective", "epsilon or v_prediction.", defaults.Objective);
        var minSnr = Opt<double>("--min-snr-gamma", "Min-SNR loss weighting gamma; 0 turns it off.", defaults.MinSnrGamma ?? 0);
        var crop = new Option<int?>("--crop") { Description = "Super-resolution: train on random crops of this many pixels." };
        var maxAug = Opt<int>("--max-aug-level", "Super-resolution: augmentation levels drawn from [0, this).", defaults.MaxAugmentationLevel);
        var seed = Opt<long>("--seed", "Seed of every random draw of the run.", defaults.Seed);
        var skipBad = new Option<bool>("--skip-bad-rows") { Description = "Leave out (and list) unusable dataset rows instead of stopping." };
        var logEvery = new Option<int?>("--log-every") { Description = $"Steps per loss.csv line (default {defaults.LogEvery})." };
        var checkpointEvery = new Option<int?>("--checkpoint-every") { Description = $"Steps between checkpoints (default {defaults.CheckpointEvery})." };
        var sampleEvery = new Option<int?>("--sample-every") { Description = $"Steps between sample grids (default {defaults.SampleEvery})." };
        var keepEvery = new Option<int?>("--keep-every") { Description = "Steps between checkpoints kept for good in checkpoints/step-N (export one with t2i export --step N). Default: only the latest is kept." };
        var evalEvery = new Option<int?>("--eval-every") { Description = "Steps between measurements of the EMA weights into eval.csv (retrieval for a base stage, PSNR/SSIM for super-resolution, as t2i eval measures them). Default: none." };
        var evalCount = new Option<int?>("--eval-count") { Description = $"Captions or images per measurement (default {defaults.EvalCount})." };
        var evalPrompts = new Option<FileInfo?>("--eval-prompts") { Description = "Held-out prompts (t2i eval --prompts layout) measured at each measurement beside the captions, into eval-prompts.csv (base stage; never trained on)." };
        var threads = new Option<int?>("--threads") { Description = "Torch threads (default: all cores)." };
        var samplePrompts = new Option<string[]>("--sample-prompt") { Description = "Caption of the dataset to sample in the grids (repeatable)." };
        var exportDtype = Opt<string>("--export-dtype", "Precision of the exported weights: float16 or float32.", "float16");
        var noExport = new Option<bool>("--no-export") { Description = "Do not write the EMA weights into the model folder at the end." };

        // What a resumed run may not change: each option with the setting it gives.
        (Option Option, Func<TrainingOptions, object?> Setting)[] fixedSettings =
        [
            (model, o => o.ModelFolder), (stage, o => o.Stage), (data, o => o.DataFolder),
            (batch, o => o.BatchSize), (accumulation, o => o.GradientAccumulation), (lr, o => o.LearningRate),
            (warmup, o => o.WarmupSteps), (weightDecay, o => o.WeightDecay), (clip, o => o.GradientClip), (ema, o => o.EmaDecay),
            (dropout, o => o.ConditioningDropout), (tokenDropout, o => o.TokenDropout), (textNoise, o => o.TextNoise), (objective, o => o.Objective), (minSnr, o => o.MinSnrGamma),
            (crop, o => o.CropSize), (maxAug, o => o.MaxAugmentationLevel), (seed, o => o.Seed),
        ];
        var command = new Command("train", "Train one stage of a cascade (resumable; Ctrl-C saves and stops).")
        {
            model, stage, data, run, steps, batch, accumulation, lr, warmup, cooldown, weightDecay, clip, ema, dropout, tokenDropout, textNoise, objective, minSnr,
            crop, maxAug, seed, skipBad, logEvery, checkpointEvery, keepEvery, sampleEvery, evalEvery, evalCount, evalPrompts, threads, samplePrompts, exportDtype, noExport,
        };
        command.SetAction(parsed => CliErrors.Run(() =>
        {
            var runFolder = parsed.GetRequiredValue(run).FullName;
            var optionsPath = Path.Combine(runFolder, OptionsFile);
            var given = new TrainingOptions
            {
                ModelFolder = parsed.GetValue(model)?.FullName ?? "",
                Stage = parsed.GetValue(stage) ?? "",
                DataFolder = parsed.GetValue(data)?.FullName ?? "",
                BadRows = parsed.GetValue(skipBad) ? BadRowPolicy.Skip : BadRowPolicy.Fail,
                MaxSteps = parsed.GetValue(steps) ?? defaults.MaxSteps,
                BatchSize = parsed.GetValue(batch),
                GradientAccumulation = parsed.GetValue(accumulation),
                LearningRate = parsed.GetValue(lr),
                WarmupSteps = parsed.GetValue(warmup),
                CooldownSteps = parsed.GetValue(cooldown) ?? 0,
                WeightDecay = parsed.GetValue(weightDecay),
                GradientClip = parsed.GetValue(clip),
                EmaDecay = parsed.GetValue(ema),
                ConditioningDropout = parsed.GetValue(dropout),
                TokenDropout = parsed.GetValue(tokenDropout),
                TextNoise = parsed.GetValue(textNoise),
                Objective = parsed.GetRequiredValue(objective),
                MinSnrGamma = parsed.GetValue(minSnr) is var g && g > 0 ? g : null,
                CropSize = parsed.GetValue(crop),
                MaxAugmentationLevel = parsed.GetValue(maxAug),
                Seed = parsed.GetValue(seed),
                LogEvery = parsed.GetValue(logEvery) ?? defaults.LogEvery,
                CheckpointEvery = parsed.GetValue(checkpointEvery) ?? defaults.CheckpointEvery,
                SampleEvery = parsed.GetValue(sampleEvery) ?? defaults.SampleEvery,
                KeepEvery = parsed.GetValue(keepEvery),
                EvalEvery = parsed.GetValue(evalEvery),
                EvalCount = parsed.GetValue(evalCount) ?? defaults.EvalCount,
                EvalPrompts = parsed.GetValue(evalPrompts)?.FullName,
                Threads = parsed.GetValue(threads) ?? 0,
                SamplePrompts = parsed.GetValue(samplePrompts) ?? [],
            };

            TrainingOptions options;
            var saved = File.Exists(optionsPath) ? TrainingOptions.Parse(File.ReadAllText(optionsPath), optionsPath) : null;
            // Only a run with a checkpoint has trained anything; the options of one whose start failed
            // (bad data, a typo) do not bind the corrected command.
            var trained = saved is not null && Checkpoint.Find(runFolder) is not null;
            var namesNewRun = given.ModelFolder != "" || given.Stage != "" || given.DataFolder != "";
            if (saved is not null && (trained || !namesNewRun))
            {
                var differing = fixedSettings
                    .Where(f => trained && parsed.GetResult(f.Option) is { Implicit: false } && !Equals(f.Setting(given), f.Setting(saved)))
                    .Select(f => f.Option.Name).ToList();
                if (differing.Count > 0)
                    throw new ArgumentException($"{runFolder} is a run started with other settings ({string.Join(", ", differing)}); " +
                                                "a resumed run keeps its options (only --steps, --cooldown, the intervals, --eval-count, --eval-prompts and --threads may change). Use a new --run folder.");
                options = saved with
                {
                    MaxSteps = parsed.GetValue(steps) ?? saved.MaxSteps,
                    CooldownSteps = parsed.GetValue(cooldown) ?? saved.CooldownSteps,
                    LogEvery = parsed.GetValue(logEvery) ?? saved.LogEvery,
                    CheckpointEvery = parsed.GetValue(checkpointEvery) ?? saved.CheckpointEvery,
                    SampleEvery = parsed.GetValue(sampleEvery) ?? saved.SampleEvery,
                    KeepEvery = parsed.GetValue(keepEvery) ?? saved.KeepEvery,
                    EvalEvery = parsed.GetValue(evalEvery) ?? saved.EvalEvery,
                    EvalCount = parsed.GetValue(evalCount) ?? saved.EvalCount,
                    EvalPrompts = parsed.GetValue(evalPrompts)?.FullName ?? saved.EvalPrompts,
                    Threads = parsed.GetValue(threads) ?? saved.Threads,
                };
            }
            else
            {
                if (given.ModelFolder == "" || given.Stage == "" || given.DataFolder == "")
                    throw new ArgumentException("A new run needs --model, --stage and --data.");
                options = given;
            }
            options.Validate();
            var dtype = ParseExportDtype(parsed.GetRequiredValue(exportDtype));
            // The trainer checks the model, stage and every data row first: a run folder holds options only once they work.
            using var trainer = new StageTrainer(runFolder, options, ComputeTarget.Resolve("auto", "float32"), message => AnsiConsole.WriteLine(message));
            AtomicFile.WriteAllText(optionsPath, options.ToJson());
            var state = RunWithProgress(trainer);
            AnsiConsole.MarkupLineInterpolated($"step {state.Step}: checkpoint in [green]{runFolder}[/]");
            if (state.Step >= options.MaxSteps && !parsed.GetValue(noExport))
            {
                StageTrainer.Export(runFolder, options, dtype);
                AnsiConsole.MarkupLineInterpolated($"exported the EMA weights into [green]{Path.Combine(options.ModelFolder, options.Stage)}[/]");
            }
            return 0;
        }));
        return command;
    }

    public static Command CreateExport()
    {
        var run = new Option<DirectoryInfo>("--run") { Description = "Run folder of t2i train.", Required = true };
        var dtype = Opt<string>("--dtype", "float16 or float32.", "float16");
        var step = new Option<long?>("--step") { Description = "Export the checkpoint kept at this step (t2i train --keep-every) instead of the last." };
        var command = new Command("export", "Write a run's EMA weights (last checkpoint, or one kept) into its model folder.") { run, dtype, step };
        command.SetAction(parsed => CliErrors.Run(() =>
        {
            var runFolder = parsed.GetRequiredValue(run).FullName;
            var optionsPath = Path.Combine(runFolder, OptionsFile);
            if (!File.Exists(optionsPath)) throw new FileNotFoundException($"{runFolder} is not a training run (no {OptionsFile}).");
            var options = TrainingOptions.Parse(File.ReadAllText(optionsPath), optionsPath);
            StageTrainer.Export(runFolder, options, ParseExportDtype(parsed.GetRequiredValue(dtype)), parsed.GetValue(step));
            AnsiConsole.MarkupLineInterpolated($"exported into [green]{options.ModelFolder}[/] ({options.Stage})");
            return 0;
        }));
        return command;
    }

    static ScalarType ParseExportDtype(string name) => name switch
    {
        "float16" => ScalarType.Float16,
        "float32" => ScalarType.Float32,
        _ => throw new ArgumentException($"--export-dtype must be float16 or float32, not '{name}'."),
    };

    static string Eta(TimeSpan? remaining) =>
        remaining is { } r && r < TimeSpan.FromDays(365) ? $"{(int)r.TotalHours}:{r:mm\\:ss}" : "?";

    static Option<T> Opt<T>(string name, string description, T value) =>
        new(name) { Description = $"{description} Default: {value}.", DefaultValueFactory = _ => value };

    /// <summary>Trains with a live bar (or plain lines when the output is redirected); Ctrl-C and SIGTERM save and stop.</summary>
    static TrainingState RunWithProgress(StageTrainer trainer)
    {
        using var stop = new CancellationTokenSource();
        ConsoleCancelEventHandler onCtrlC = (_, e) => { e.Cancel = true; stop.Cancel(); };
        Console.CancelKeyPress += onCtrlC;
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });
        try
        {
            if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
            {
                return trainer.Train(p =>
                {
                    if (p.Message is not null) Console.WriteLine($"step {p.Step}: {p.Message}");
                    else if (p.Step % trainer.Options.LogEvery == 0)
                        Console.WriteLine($"step {p.Step}/{p.MaxSteps} loss {p.Loss:F4} {p.SamplesPerSecond:F1} samples/s eta {Eta(p.Remaining)}");
                }, stop.Token);
            }
            TrainingState state = trainer.State;
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(context =>
                {
                    var bar = context.AddTask("training", maxValue: trainer.Options.MaxSteps);
                    bar.Value = trainer.State.Step;
                    double? smoothed = null;
                    state = trainer.Train(p =>
                    {
                        if (p.Message is not null) { AnsiConsole.WriteLine($"step {p.Step}: {p.Message}"); return; }
                        smoothed = smoothed is { } s ? 0.95 * s + 0.05 * p.Loss!.Value : p.Loss;
                        bar.Value = p.Step;
                        bar.Description = $"step {p.Step}/{p.MaxSteps}  loss {smoothed:F4}  {p.SamplesPerSecond:F1} samples/s";
                    }, stop.Token);
                });
            return state;
        }
        finally
        {
            Console.CancelKeyPress -= onCtrlC;
        }
    }
}
