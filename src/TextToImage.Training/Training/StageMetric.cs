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
/// </summary>
public sealed class StageMetric
{
    readonly StageDefinition _stage;
    readonly PredictionType _objective;
    readonly ImageFolder _data;
    readonly Tensor _pixels;
    readonly TextEmbeddingCache _text;
    readonly string _runFolder;
    readonly StepCsv _file;

    /// <param name="pixels">The dataset at the stage's resolution, [N, 3, H, W] 8-bit: the retrieval gallery.</param>
    public StageMetric(string runFolder, long resumedStep, StageDefinition stage, PredictionType objective, ImageFolder data, Tensor pixels,
        TextEmbeddingCache text)
    {
        (_runFolder, _stage, _objective, _data, _pixels, _text) = (runFolder, stage, objective, data, pixels, text);
        var scores = IsSuperResolution ? "psnr,ssim,bicubic_psnr,bicubic_ssim" : "top1,top5,top1_chance,top5_chance";
        _file = new StepCsv(PathIn(runFolder), $"step,samples,train_seconds,sampler,count,{scores}", resumedStep);
    }

    public static string PathIn(string runFolder) => Path.Combine(runFolder, "eval.csv");

    bool IsSuperResolution => _stage.LowResolution is not null;

    /// <summary>
    /// Measures <paramref name="network"/> (the EMA weights) on <paramref name="count"/> rows, appends a line (returned)
    /// and writes the whole report, item by item, to <c>eval/step-N.json</c> (the format of <c>t2i eval --out</c>).
    /// </summary>
    public string Measure(UNet2DConditionModel network, TrainingState state, int count, CancellationToken cancellation = default)
    {
        network.eval();
        var stage = _stage.AsCascadeStage(network, PredictionTypes.Name(_objective));
        var settings = new EvalSettings { ModelFolder = _stage.ModelFolderPath, DataFolder = _data.Folder, Count = count, Samplers = [] };
        var evaluator = new ModelEvaluator([stage], _text.Select, ComputeTarget.Cpu, settings);
        var rows = ModelEvaluator.PickRows(_data.Rows.Count, count, settings.Seed);
        var report = new EvalReport
        {
            Model = $"{_stage.ModelFolderPath} ({_stage.Entry.Name}, EMA weights of step {state.Step})",
            Data = _data.Folder,
            Count = rows.Count,
            Seed = settings.Seed,
            Device = "cpu Float32",
            Started = DateTimeOffset.UtcNow,
        };
        string scores;
        if (_stage.LowResolution is { } low)
        {
            var sr = evaluator.SuperResolution(stage, low, _data, rows, cancellation);
            report = report with { SuperResolution = sr, WallSeconds = sr.WallSeconds };
            scores = string.Create(CultureInfo.InvariantCulture,
                $"{sr.Sampler}:{sr.Steps},{sr.Count},{sr.Model.Psnr:F3},{sr.Model.Ssim:F4},{sr.Bicubic.Psnr:F3},{sr.Bicubic.Ssim:F4}");
        }
        else
        {
            var defaults = StageSettings.Resolve(stage, null);
            var run = new SamplerRun(SchedulerFactory.SamplerName(defaults.Sampler), defaults.Steps);
            var retrieval = evaluator.Retrieval(_data, _pixels, rows, run, cancellation);
            report = report with { Retrieval = [retrieval], WallSeconds = retrieval.WallSeconds };
            scores = string.Create(CultureInfo.InvariantCulture,
                $"{run},{retrieval.Top1.Count},{retrieval.Top1.Rate:F4},{retrieval.Top5.Rate:F4},{retrieval.Top1.Chance:F4},{retrieval.Top5.Chance:F4}");
        }
        var json = Path.Combine(_runFolder, "eval", $"step-{state.Step:D7}.json");
        Directory.CreateDirectory(Path.GetDirectoryName(json)!);
        File.WriteAllText(json, report.ToJson());
        var line = string.Create(CultureInfo.InvariantCulture, $"{state.Step},{state.SamplesSeen},{state.TrainSeconds:F1},{scores}");
        _file.Append(line);
        return line;
    }
}
