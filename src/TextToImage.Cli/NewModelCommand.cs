using System.CommandLine;
using Spectre.Console;
using TextToImage.Diffusion.Networks;
using TextToImage.Diffusion.Pipelines;
using static TorchSharp.torch;

namespace TextToImage.Cli;

/// <summary><c>t2i new-model</c>: a model folder of seeded random weights (for training or smoke tests).</summary>
static class NewModelCommand
{
    public static Command Create()
    {
        var output = new Option<DirectoryInfo>("--out", "-o") { Description = "Folder to create.", Required = true };
        var preset = new Option<string>("--preset") { Description = $"One of: {string.Join(", ", RandomCascade.Presets)}.", DefaultValueFactory = _ => "tiny" };
        var seed = new Option<long>("--seed") { Description = "Seed of the initial weights.", DefaultValueFactory = _ => 0 };
        var force = new Option<bool>("--force") { Description = "Overwrite a model already in that folder." };
        var weights = new Option<string>("--weights-dtype") { Description = "Stored precision: float32, float16 or bfloat16.", DefaultValueFactory = _ => "float32" };
        var textEncoder = new Option<string?>("--text-encoder")
        {
            Description = $"One of: {string.Join(", ", RandomCascade.TextEncoders)} (default: hashed for tiny, a test model; minilm otherwise).",
        };
        var baseConfig = new Option<FileInfo?>("--base-config")
        {
            Description = "A config.json (diffusers UNet2DConditionModel keys) for the base network instead of the preset's: same image size and text width.",
        };
        var command = new Command("new-model", "Create a model folder of randomly initialised networks.") { output, preset, seed, force, weights, textEncoder, baseConfig };
        command.SetAction(parsed => CliErrors.Run(() =>
        {
            var folder = parsed.GetRequiredValue(output).FullName;
            var dtype = parsed.GetRequiredValue(weights) switch
            {
                "float32" => ScalarType.Float32,
                "float16" => ScalarType.Float16,
                "bfloat16" => ScalarType.BFloat16,
                var other => throw new ArgumentException($"Unknown weights dtype '{other}': use float32, float16 or bfloat16."),
            };
            var baseNetwork = parsed.GetValue(baseConfig) is { } file
                ? file.Exists ? UNet2DConditionConfig.Load(file.FullName) : throw new FileNotFoundException($"--base-config: no file {file.FullName}.")
                : null;
            RandomCascade.Create(folder, parsed.GetRequiredValue(preset), parsed.GetValue(seed), parsed.GetValue(force), dtype, parsed.GetValue(textEncoder), baseNetwork);
            AnsiConsole.MarkupLineInterpolated($"wrote [green]{folder}[/]");
            return 0;
        }));
        return command;
    }
}
