using Spectre.Console;
using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Pipelines;

namespace TextToImage.Cli;

/// <summary>
/// Whole generations with a model's defaults (the cascade up to its largest size, PNG encoding
/// excluded): one image, a 4-image job batched and per-image, and 8 one-image jobs one after
/// another or as the serving batcher runs them (one batch), as ratios to the one image.
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

        // Eight one-image jobs, each its own prompt and seed, as the serving batcher (Jobs:MaxBatchImages 8) runs them.
        var jobs = Enumerable.Range(0, 8).Select(i => new GenerationRequest { Prompt = $"a red apple {i}", Seed = 100 + i }).ToList();
        double EightJobs(bool batched) => UNetBenchmark.EndToEnd(() =>
        {
            if (!batched)
                foreach (var job in jobs) pipeline.Generate(job).Dispose();
            else
                foreach (var result in pipeline.GenerateBatch([.. jobs.Select(job => new BatchedGeneration(job))])) result?.Dispose();
        }, repeats);

        var one = Time(1, SamplingMode.Batched);
        var rows = new (string Name, double Seconds)[]
        {
            ("1 image", one),
            ("4 images, batched", Time(4, SamplingMode.Batched)),
            ("4 images, per-image", Time(4, SamplingMode.PerImage)),
            ("8 one-image jobs, one after another", EightJobs(batched: false)),
            ("8 one-image jobs, one serving batch", EightJobs(batched: true)),
        };
        var table = new Table().Title($"end to end: {model.Name}, defaults, {string.Join(" -> ", model.Resolutions)} px, median of {repeats}");
        foreach (var column in new[] { "job", "seconds", "x one image" }) table.AddColumn(new TableColumn(column).RightAligned());
        foreach (var (name, seconds) in rows) table.AddRow(name, $"{seconds:F2}", $"{seconds / one:F2}");
        AnsiConsole.Write(table);
        AnsiConsole.Write(Profile(pipeline, model));
    }

    /// <summary>
    /// Where one default image's time goes: each stage's sampling (the network and the scheduler),
    /// the rest of the generation (text encoding, moving tensors), and the PNG encoding the service adds.
    /// </summary>
    static Table Profile(CascadePipeline pipeline, CascadeModel model)
    {
        var request = new GenerationRequest { Prompt = "a red apple", Seed = 1 };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var result = pipeline.Generate(request);
        var total = clock.Elapsed.TotalSeconds;
        GeneratedImages.Encode(result.Final, request, model);   // the first call compiles the encoder: not what a running service pays
        clock.Restart();
        var pngs = GeneratedImages.Encode(result.Final, request, model);
        var png = clock.Elapsed.TotalSeconds;
        var table = new Table().Title($"one default image, {pngs[0].Length / 1024} KB PNG");
        foreach (var column in new[] { "part", "seconds", "share" }) table.AddColumn(new TableColumn(column).RightAligned());
        var parts = result.Stages.Select(s => ($"stage {s.StageName} ({s.Resolution} px)", s.Elapsed.TotalSeconds)).ToList();
        parts.Add(("text encoding and the rest", total - parts.Sum(p => p.Item2)));
        parts.Add(("PNG encoding with metadata", png));
        foreach (var (name, seconds) in parts) table.AddRow(name, $"{seconds:F3}", $"{seconds / (total + png):P0}");
        return table;
    }
}
