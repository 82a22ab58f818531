using System.CommandLine;
using Spectre.Console;
using TextToImage.Diffusion.Pipelines;

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
        var command = new Command("new-model", "Create a model folder of randomly initialised networks.") { output, preset, seed, force };
        command.SetAction(parsed => CliErrors.Run(() =>
        {
            var folder = parsed.GetRequiredValue(output).FullName;
            RandomCascade.Create(folder, parsed.GetRequiredValue(preset), parsed.GetValue(seed), parsed.GetValue(force));
            AnsiConsole.MarkupLineInterpolated($"wrote [green]{folder}[/]");
            return 0;
        }));
        return command;
    }
}
