using System.CommandLine;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Spectre.Console;
using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Pipelines;

namespace TextToImage.Cli;

/// <summary><c>t2i edit</c>: image-to-image (SDEdit) of a picture, or inpainting with a mask, through the cascade.</summary>
static class EditCommand
{
    public static Command Create()
    {
        var model = new Option<DirectoryInfo?>("--model", "-m") { Description = $"Model folder (model_index.json); default: the bundled {BundledModel.Name}." };
        var image = new Option<FileInfo>("--image", "-i") { Description = "The picture to edit (PNG, JPEG, WebP, ...).", Required = true };
        var mask = new Option<FileInfo?>("--mask") { Description = "Inpainting mask of the picture's size: white is repainted, black kept." };
        var prompt = new Option<string>("--prompt", "-p") { Description = "What the result should show; \"\" edits unconditionally.", DefaultValueFactory = _ => "" };
        var negative = new Option<string?>("--negative-prompt") { Description = "What to steer away from." };
        var strength = new Option<double?>("--strength") { Description = "0 to 1: 0 returns the picture, 1 ignores it (default 0.8; 1 with a mask)." };
        var seed = new Option<long?>("--seed") { Description = "Seed; drawn at random when absent." };
        var steps = new Option<int?>("--steps") { Description = "Base-stage steps before strength (int(steps x strength) run)." };
        var sampler = new Option<string?>("--sampler") { Description = "ddpm, ddim or dpmpp-2m (base stage)." };
        var guidance = new Option<double?>("--guidance") { Description = "Classifier-free guidance scale of the base stage." };
        var resolution = new Option<int?>("--resolution") { Description = "Output resolution: one of the model's stages (default: the largest)." };
        var jumpLength = new Option<int>("--jump-length") { Description = "Inpainting: RePaint resampling, steps back per jump (0 = off).", DefaultValueFactory = _ => 0 };
        var jumpCount = new Option<int>("--jump-count") { Description = "Inpainting: RePaint resampling, jumps per jump point (0 = off).", DefaultValueFactory = _ => 0 };
        var targetOptions = new TargetOptions(withOffload: true);
        var output = new Option<FileInfo>("--out", "-o") { Description = "PNG file to write.", Required = true };

        var command = new Command("edit", "Edit a picture from a prompt (image-to-image), or repaint the white part of a mask (inpainting).")
        {
            model, image, mask, prompt, negative, strength, seed, steps, sampler, guidance, resolution, jumpLength, jumpCount, output,
        };
        targetOptions.AddTo(command);
        command.SetAction(parsed => CliErrors.Run(() =>
        {
            var generation = new GenerationRequest
            {
                Prompt = parsed.GetRequiredValue(prompt),
                NegativePrompt = parsed.GetValue(negative),
                Seed = parsed.GetValue(seed) ?? Random.Shared.NextInt64(0, int.MaxValue),
                Resolution = parsed.GetValue(resolution),
                Stages = [new StageOptions { Steps = parsed.GetValue(steps), Sampler = parsed.GetValue(sampler), GuidanceScale = parsed.GetValue(guidance) }],
            };
            using var picture = Image.Load<Rgb24>(parsed.GetRequiredValue(image).FullName);
            using var maskImage = parsed.GetValue(mask) is { } maskFile ? Image.Load<L8>(maskFile.FullName) : null;
            var request = new EditRequest
            {
                Generation = generation,
                Image = picture,
                Mask = maskImage,
                Strength = parsed.GetValue(strength) ?? (maskImage is null ? 0.8 : 1.0),
                JumpLength = parsed.GetValue(jumpLength),
                JumpCount = parsed.GetValue(jumpCount),
            };
            var target = targetOptions.Resolve(parsed);
            using var cascade = ModelFolder.Load(BundledModel.Resolve(parsed.GetValue(model)), target);
            var pipeline = new ImageEditPipeline(cascade);
            using var result = StageProgress.Run((progress, cancel) => pipeline.Edit(request, progress, cancellation: cancel));
            var file = PngFiles.Write(result, generation, cascade, parsed.GetRequiredValue(output))[0];
            AnsiConsole.MarkupLineInterpolated($"wrote [green]{file}[/] (seed {generation.Seed}, strength {request.Strength})");
            return 0;
        }));
        return command;
    }
}
