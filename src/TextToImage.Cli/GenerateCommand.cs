using System.CommandLine;
using Spectre.Console;
using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Pipelines;

namespace TextToImage.Cli;

/// <summary><c>t2i generate</c>: one request through the cascade, PNGs with their generation parameters.</summary>
static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<DirectoryInfo?>("--model", "-m") { Description = $"Model folder (model_index.json); default: the bundled {BundledModel.Name}." };
        var prompt = new Option<string>("--prompt", "-p") { Description = "What to draw; \"\" samples unconditionally.", Required = true };
        var negative = new Option<string?>("--negative-prompt") { Description = "What to steer away from (replaces the empty prompt of guidance)." };
        var seed = new Option<long?>("--seed") { Description = "Seed of image 1 (image i uses seed + i - 1); drawn at random when absent." };
        var steps = new Option<int?>("--steps") { Description = "Sampler steps of the base stage (model default otherwise)." };
        var sampler = new Option<string?>("--sampler") { Description = "ddpm, ddim or dpmpp-2m (base stage; model default otherwise)." };
        var guidance = new Option<double?>("--guidance") { Description = "Classifier-free guidance scale of the base stage." };
        var resolution = new Option<int?>("--resolution") { Description = "Stop at this stage resolution (default: the largest)." };
        var count = new Option<int>("--num-images", "-n") { Description = "Images to make.", DefaultValueFactory = _ => 1 };
        var targetOptions = new TargetOptions(withOffload: true);
        var output = new Option<FileInfo>("--out", "-o") { Description = "PNG file; with several images, NAME-1.png, NAME-2.png, ...", Required = true };
        var reproducible = new Option<bool>("--reproducible")
        {
            Description = "Run each image on its own: image i gets the bytes of a 1-image run with seed + i - 1 (slower; without it, up to rounding).",
        };

        var command = new Command("generate", "Generate images from a prompt.")
        {
            model, prompt, negative, seed, steps, sampler, guidance, resolution, count, output, reproducible,
        };
        targetOptions.AddTo(command);
        command.SetAction(parsed => CliErrors.Run(() =>
        {
            var request = new GenerationRequest
            {
                Prompt = parsed.GetRequiredValue(prompt),
                NegativePrompt = parsed.GetValue(negative),
                Seed = parsed.GetValue(seed) ?? Random.Shared.NextInt64(0, int.MaxValue),
                NumImages = parsed.GetValue(count),
                Resolution = parsed.GetValue(resolution),
                Sampling = parsed.GetValue(reproducible) ? SamplingMode.PerImage : SamplingMode.Batched,
                Stages = [new StageOptions { Steps = parsed.GetValue(steps), Sampler = parsed.GetValue(sampler), GuidanceScale = parsed.GetValue(guidance) }],
            };
            var target = targetOptions.Resolve(parsed);
            using var cascade = ModelFolder.Load(BundledModel.Resolve(parsed.GetValue(model)), target);
            var files = Generate(new CascadePipeline(cascade), request, parsed.GetRequiredValue(output));
            for (var i = 0; i < files.Count; i++)
                AnsiConsole.MarkupLineInterpolated($"wrote [green]{files[i]}[/] (seed {request.Seed + i})");
            return 0;
        }));
        return command;
    }

    static IReadOnlyList<string> Generate(CascadePipeline pipeline, GenerationRequest request, FileInfo output)
    {
        using var result = StageProgress.Run((progress, cancellation) => pipeline.Generate(request, progress, cancellation: cancellation));
        if (result.Final.DrawnAs is { } drawn)
            AnsiConsole.MarkupLineInterpolated($"drawn as [blue]{drawn.Caption}[/], the model's vocabulary subject nearest the prompt (cosine {drawn.Similarity:F2})");
        return PngFiles.Write(result, request, pipeline, output);
    }
}
