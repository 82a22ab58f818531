using Spectre.Console;
using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Pipelines;

namespace TextToImage.Cli;

/// <summary>
/// Whole generations with a model's defaults (the cascade up to its largest size, PNG encoding
/// excluded): one image, and a 4-image job batched and per-image, as ratios to the one image.
/// </summary>
static class EndToEndBenchmark
{
    public static void Run(string modelFolder, ComputeTarget target, int repeats)
    {
        using var model = ModelFolder.Load(modelFolder, target);
        var pipeline = new CascadePipeline(model);
        double Time(int images, SamplingMode mode) => UNetBenchmark.EndToEnd(() =>
        {
            using var result = pipeline.Generate(new GenerationRequest { Prompt = "a red apple", Seed = 1, NumImages = images, Sampling = mode });
        }, repeats);

        var one = Time(1, SamplingMode.Batched);
        var rows = new (string Name, double Seconds)[]
        {
            ("1 image", one),
            ("4 images, batched", Time(4, SamplingMode.Batched)),
            ("4 images, per-image", Time(4, SamplingMode.PerImage)),
        };
        var table = new Table().Title($"end to end: {model.Name}, defaults, {string.Join(" -> ", model.Resolutions)} px, median of {repeats}");
        foreach (var column in new[] { "job", "seconds", "x one image" }) table.AddColumn(new TableColumn(column).RightAligned());
        foreach (var (name, seconds) in rows) table.AddRow(name, $"{seconds:F2}", $"{seconds / one:F2}");
        AnsiConsole.Write(table);
    }
}
