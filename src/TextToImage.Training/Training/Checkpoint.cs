using System.Text.Json;
using TextToImage.Diffusion.IO;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextToImage.Training.Training;

/// <summary>Where a run stands: the optimiser steps taken and the training time spent on them.</summary>
public sealed record TrainingState(long Step, long SamplesSeen, double TrainSeconds);

/// <summary>
/// A run's resumable state: weights, EMA, optimiser moments and <see cref="TrainingState"/> (the
/// random draws derive from seed and step, so nothing else is needed to continue exactly).
/// Written into <c>checkpoint.tmp/</c> and then swapped in by renames: a crash at any point leaves
/// either the previous or the new checkpoint whole (<c>checkpoint.old/</c> between the two renames).
/// A run may also keep copies of chosen steps for good, in <c>checkpoints/step-N/</c> (<see cref="Keep"/>).
/// </summary>
public static class Checkpoint
{
    const string Current = "checkpoint";
    const string Temporary = "checkpoint.tmp";
    const string Previous = "checkpoint.old";
    const string ModelFile = "model.safetensors";
    const string EmaFile = "ema.safetensors";
    const string OptimizerFile = "optimizer.bin";
    const string StateFile = "state.json";
    const string KeptFolder = "checkpoints";

    public static void Save(string runFolder, nn.Module network, ExponentialMovingAverage ema, OptimizerHelper optimizer, TrainingState state)
    {
        var temporary = Path.Combine(runFolder, Temporary);
        if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
        Directory.CreateDirectory(temporary);
        StateDictLoader.SaveFrom(network, Path.Combine(temporary, ModelFile));
        Safetensors.Save(Path.Combine(temporary, EmaFile), ema.Average);
        optimizer.save_state_dict(Path.Combine(temporary, OptimizerFile));
        File.WriteAllText(Path.Combine(temporary, StateFile), JsonSerializer.Serialize(state));

        var current = Path.Combine(runFolder, Current);
        var previous = Path.Combine(runFolder, Previous);
        if (Directory.Exists(previous)) Directory.Delete(previous, recursive: true);
        if (Directory.Exists(current)) Directory.Move(current, previous);
        Directory.Move(temporary, current);
        if (Directory.Exists(previous)) Directory.Delete(previous, recursive: true);
    }

    /// <summary>The folder of the newest whole checkpoint, or null when the run has none.</summary>
    public static string? Find(string runFolder)
    {
        foreach (var name in new[] { Current, Previous })
        {
            var folder = Path.Combine(runFolder, name);
            if (File.Exists(Path.Combine(folder, StateFile))) return folder;
        }
        return null;
    }

    /// <summary>
    /// Copies the run's current checkpoint to <c>checkpoints/step-N/</c> (replacing one of that step: a resumed
    /// run retrains it exactly); copied into a <c>.tmp</c> folder and renamed, so a kept step is whole or absent.
    /// </summary>
    public static string Keep(string runFolder)
    {
        var current = Find(runFolder) ?? throw new InvalidOperationException($"{runFolder} has no checkpoint to keep.");
        var kept = KeptPath(runFolder, ReadState(current).Step);
        var temporary = kept + ".tmp";
        if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
        Directory.CreateDirectory(temporary);
        foreach (var file in Directory.GetFiles(current)) File.Copy(file, Path.Combine(temporary, Path.GetFileName(file)));
        if (Directory.Exists(kept)) Directory.Delete(kept, recursive: true);
        Directory.Move(temporary, kept);
        return kept;
    }

    /// <summary>The folder of the checkpoint kept at <paramref name="step"/>; throws, naming the steps kept, when there is none.</summary>
    public static string FindKept(string runFolder, long step)
    {
        var kept = KeptPath(runFolder, step);
        if (File.Exists(Path.Combine(kept, StateFile))) return kept;
        var steps = KeptSteps(runFolder);
        throw new ArgumentException($"{runFolder} kept no checkpoint of step {step}; " +
                                    (steps.Count == 0 ? "it keeps none (t2i train --keep-every N keeps them)." : $"kept: {string.Join(", ", steps)}."));
    }

    /// <summary>The steps of the whole checkpoints kept in <c>checkpoints/</c>, in order.</summary>
    public static IReadOnlyList<long> KeptSteps(string runFolder)
    {
        var folder = Path.Combine(runFolder, KeptFolder);
        if (!Directory.Exists(folder)) return [];
        return Directory.GetDirectories(folder, "step-*")
            .Where(d => File.Exists(Path.Combine(d, StateFile)))
            .Select(d => long.TryParse(Path.GetFileName(d)["step-".Length..], out var step) ? step : -1)
            .Where(step => step >= 0).Order().ToList();
    }

    static string KeptPath(string runFolder, long step) => Path.Combine(runFolder, KeptFolder, $"step-{step:D7}");

    public static TrainingState Restore(string folder, nn.Module network, ExponentialMovingAverage ema, OptimizerHelper optimizer)
    {
        LoadInto(Path.Combine(folder, ModelFile), weights => StateDictLoader.LoadInto(network, weights));
        LoadInto(Path.Combine(folder, EmaFile), ema.Load);
        optimizer.load_state_dict(Path.Combine(folder, OptimizerFile));
        return ReadState(folder);
    }

    public static TrainingState ReadState(string folder) =>
        JsonSerializer.Deserialize<TrainingState>(File.ReadAllText(Path.Combine(folder, StateFile)))
        ?? throw new InvalidDataException($"{folder}/{StateFile} is empty.");

    /// <summary>The EMA weights of a checkpoint (for export), caller disposes.</summary>
    public static IReadOnlyDictionary<string, Tensor> LoadEma(string folder) => Safetensors.Load(Path.Combine(folder, EmaFile));

    static void LoadInto(string path, Action<IReadOnlyDictionary<string, Tensor>> load)
    {
        var weights = Safetensors.Load(path);
        try { load(weights); }
        finally { foreach (var tensor in weights.Values) tensor.Dispose(); }
    }
}
