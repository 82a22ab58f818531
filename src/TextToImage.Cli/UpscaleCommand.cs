using System.CommandLine;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Spectre.Console;
using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Pipelines;

namespace TextToImage.Cli;

/// <summary><c>t2i upscale</c>: the cascade's super-resolution stages on a picture.</summary>
static class UpscaleCommand
{
    public static Command Create()
    {
        var model = new Option<DirectoryInfo?>("--model", "-m") { Description = $"Model folder (model_index.json); default: the bundled {BundledModel.Name}." };
        var image = new Option<FileInfo>("--image", "-i") { Description = "The picture to upscale; resized to the base stage's resolution first.", Required = true };
        var prompt = new Option<string>("--prompt", "-p") { Description = "What the picture shows; \"\" upscales unconditionally.", DefaultValueFactory = _ => "" };
        var noiseLevel = new Option<int?>("--noise-level") { Description = "Noise-augmentation level of every super-resolution stage (0 to T-1)." };
        var seed = new Option<long?>("--seed") { Description = "Seed; drawn at random when absent." };
        var resolution = new Option<int?>("--resolution") { Description = "Output resolution: one of the super-resolution stages' (default: the largest)." };
        var targetOptions = new TargetOptions(withOffload: true);
        var output = new Option<FileInfo>("--out", "-o") { Description = "PNG file to write.", Required = true };

        var command = new Command("upscale", "Upscale a picture with the model's super-resolution stages.")
        {
            model, image, prompt, noiseLevel, seed, resolution, output,
        };
        targetOptions.AddTo(command);
        command.SetAction(parsed => CliErrors.Run(() =>
        {
            var generation = new GenerationRequest
            {
                Prompt = parsed.GetRequiredValue(prompt),
                Seed = parsed.GetValue(seed) ?? Random.Shared.NextInt64(0, int.MaxValue),
                Resolution = parsed.GetValue(resolution),
            };
            using var picture = Image.Load<Rgb24>(parsed.GetRequiredValue(image).FullName);
            var request = new UpscaleRequest { Generation = generation, Image = picture, NoiseLevel = parsed.GetValue(noiseLevel) };
            var target = targetOptions.Resolve(parsed);
            using var cascade = ModelFolder.Load(BundledModel.Resolve(parsed.GetValue(model)), target);
            var pipeline = new UpscalePipeline(cascade);
            using var result = StageProgress.Run((progress, cancel) => pipeline.Upscale(request, progress, cancellation: cancel));
            var file = PngFiles.Write(result, generation, cascade, parsed.GetRequiredValue(output))[0];
            AnsiConsole.MarkupLineInterpolated($"wrote [green]{file}[/] ({result.Final.Resolution} px, seed {generation.Seed})");
            return 0;
        }));
        return command;
    }
}
