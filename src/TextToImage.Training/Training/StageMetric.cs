using System.Globalization;
using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Networks;
using TextToImage.Diffusion.Pipelines;
using TextToImage.Diffusion.Samplers;
using TextToImage.Diffusion.Schedules;
using TextToImage.Training.Data;
using TextToImage.Training.Evaluation;
using static TorchSharp.torch;

namespace TextToImage.Training.Training;

/// <summary>
/// The run's <c>eval.csv</c>: the stage measured as <c>t2i eval</c> measures an exported model (same
/// rows, seeds and stage defaults, by the same <see cref="ModelEvaluator"/>), on the first
/// <see cref="TrainingOptions.EvalCount"/> rows of its shuffle, so the metric-against-training
/// curve is a by-product of the run. A base stage is scored by retrieval (top-1, top-5), a
/// super-resolution stage by PSNR and SSIM next to bicubic upsampling. Conditioning comes from the
/// run's cached text embeddings (the same encoder; padding trimmed, which the mask makes moot).
/// A base run given held-out prompts (<see cref="HeldOutPromptSet"/>) also retrieves the first
/// <see cref="TrainingOptions.EvalCount"/> of them into <c>eval-prompts.csv</c>, as
/// <c>t2i eval --prompts</c> measures them.
/// </summary>
public sealed class StageMetric
{
    readonly StageDefinition _stage;
    readonly PredictionType _objective;
    readonly ImageFolder _data;
    readonly Tensor _pixels;
    readonly TextEmbeddingCache _text;
    readonly HeldOutPromptSet? _heldOut;
    readonly string _runFolder;
    readonly StepCsv _file;
    readonly StepCsv? _heldOutFile;

    /// <param name="pixels">The dataset at the stage's resolution, [N, 3, H, W] 8-bit: the retrieval gallery.</param>
    /// <param name="heldOut">Held-out prompts measured beside the captions (base stages only), or null.</param>
    public StageMetric(string runFolder, long resumedStep, StageDefinition stage, PredictionType objective, ImageFolder data, Tensor pixels,
        TextEmbeddingCache text, HeldOutPromptSet? heldOut = null)
    {
        (_runFolder, _stage, _objective, _data, _pixels, _text, _heldOut) = (runFolder, stage, objective, data, pixels, text, heldOut);
        var scores = IsSuperResolution ? "psnr,ssim,bicubic_psnr,bicubic_ssim" : "top1,top5,top1_chance,top5_chance";
        var header = $"step,samples,train_seconds,sampler,count,{scores}";
        _file = new StepCsv(PathIn(runFolder), header, resumedStep);
        // A run measured on held-out prompts before (resumed without them now) still loses its lines past the checkpoint.
        if (heldOut is not null || File.Exists(HeldOutPathIn(runFolder)))
            _heldOutFile = new StepCsv(HeldOutPathIn(runFolder), header, resumedStep);
    }

    public static string PathIn(string runFolder) => Path.Combine(runFolder, "eval.csv");

    public static string HeldOutPathIn(string runFolder) => Path.Combine(runFolder, "eval-prompts.csv");

    bool IsSuperResolution => _stage.LowResolution is not null;

    /// <summary>
    /// Measures <paramref name="network"/> (the EMA weights) on <paramref name="count"/> rows, and on as many held-out
    /// prompts when the run has them; appends a line to each file and writes each whole report, item by item, to
    /// <c>eval/step-N.json</c> (<c>eval/step-N-prompts.json</c>; the format of <c>t2i eval --out</c>). Returns "file: line" for each.
    /// </summary>
    public IReadOnlyList<string> Measure(UNet2DConditionModel network, TrainingState state, int count, CancellationToken cancellation = default)
    {
        network.eval();
        var stage = _stage.AsCascadeStage(network, PredictionTypes.Name(_objective));
        var settings = new EvalSettings { ModelFolder = _stage.ModelFolderPath, DataFolder = _data.Folder, Count = count, Samplers = [] };
        var rows = ModelEvaluator.PickRows(_data.Rows.Count, count, settings.Seed);
        if (_stage.LowResolution is { } low)
        {
            var sr = new ModelEvaluator([stage], _text.Select, ComputeTarget.Cpu, settings).SuperResolution(stage, low, _data, rows, cancellation);
            var scores = string.Create(CultureInfo.InvariantCulture,
                $"{sr.Sampler}:{sr.Steps},{sr.Count},{sr.Model.Psnr:F3},{sr.Model.Ssim:F4},{sr.Bicubic.Psnr:F3},{sr.Bicubic.Ssim:F4}");
            return [Record(_file, "", NewReport(state, settings, rows.Count) with { SuperResolution = sr, WallSeconds = sr.WallSeconds }, state, scores)];
        }
        var lines = new List<string> { Retrieve(stage, settings, _text, rows, null, state, _file, "", cancellation) };
        if (_heldOut is { } heldOut)
        {
            var prompts = heldOut.Prompts.Take(count).ToList();
            lines.Add(Retrieve(stage, settings with { PromptsFile = heldOut.File }, heldOut.Text, prompts.Select(p => p.Row).ToList(),
                prompts.Select(p => p.Text).ToList(), state, _heldOutFile!, "-prompts", cancellation));
        }
        return lines;
    }

    /// <summary>Retrieval at the stage's default sampler and steps, conditioned by <paramref name="text"/>; records it and returns the line.</summary>
    /// <param name="prompts">The prompt for each row; null: the rows' own captions.</param>
    string Retrieve(CascadeStage stage, EvalSettings settings, TextEmbeddingCache text, IReadOnlyList<int> rows, IReadOnlyList<string>? prompts,
        TrainingState state, StepCsv file, string reportSuffix, CancellationToken cancellation)
    {
        var defaults = StageSettings.Resolve(stage, null);
        var run = new SamplerRun(SchedulerFactory.SamplerName(defaults.Sampler), defaults.Steps);
        var retrieval = new ModelEvaluator([stage], text.Select, ComputeTarget.Cpu, settings).Retrieval(_data, _pixels, rows, run, cancellation, prompts);
        var scores = string.Create(CultureInfo.InvariantCulture,
            $"{run},{retrieval.Top1.Count},{retrieval.Top1.Rate:F4},{retrieval.Top5.Rate:F4},{retrieval.Top1.Chance:F4},{retrieval.Top5.Chance:F4}");
        var report = NewReport(state, settings, rows.Count) with { Retrieval = [retrieval], WallSeconds = retrieval.WallSeconds };
        return Record(file, reportSuffix, report, state, scores);
    }

    EvalReport NewReport(TrainingState state, EvalSettings settings, int count) => new()
    {
        Model = $"{_stage.ModelFolderPath} ({_stage.Entry.Name}, EMA weights of step {state.Step})",
        Data = _data.Folder,
        Prompts = settings.PromptsFile,
        Count = count,
        Seed = settings.Seed,
        Device = "cpu Float32",
        Started = DateTimeOffset.UtcNow,
    };

    string Record(StepCsv file, string reportSuffix, EvalReport report, TrainingState state, string scores)
    {
        var json = Path.Combine(_runFolder, "eval", $"step-{state.Step:D7}{reportSuffix}.json");
        Directory.CreateDirectory(Path.GetDirectoryName(json)!);
        File.WriteAllText(json, report.ToJson());
        var line = string.Create(CultureInfo.InvariantCulture, $"{state.Step},{state.SamplesSeen},{state.TrainSeconds:F1},{scores}");
        file.Append(line);
        return $"{file.FileName}: {line}";
    }
}
