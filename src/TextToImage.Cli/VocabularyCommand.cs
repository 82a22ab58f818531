using System.CommandLine;
using Spectre.Console;
using TextToImage.Diffusion.Pipelines;
using TextToImage.Training.Data;

namespace TextToImage.Cli;

/// <summary><c>t2i vocabulary</c>: gives a model the prompt vocabulary of its training captions, or takes it away.</summary>
static class VocabularyCommand
{
    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model", "-m") { Description = "Model folder (model_index.json).", Required = true };
        var data = new Option<DirectoryInfo?>("--data") { Description = "Image folder (t2i dataset) whose captions the model was trained on: each row becomes a subject, known by its captions and drawn as its first." };
        var remove = new Option<bool>("--remove") { Description = "Take the vocabulary away: prompts are drawn as given again." };
        var threads = new Option<int?>("--threads") { Description = "Torch threads (default: all cores)." };
        var command = new Command("vocabulary",
            "Draw every prompt as the nearest of the model's training subjects (by its captions and their words, cosine of the text encoder's " +
            "pooled embeddings), in that subject's first caption: for a model that knows a closed set of subjects. Writes vocabulary/ into " +
            "the model folder and names it in model_index.json.")
        {
            model, data, remove, threads,
        };
        command.SetAction(parsed => CliErrors.Run(() =>
        {
            var folder = parsed.GetRequiredValue(model).FullName;
            if (parsed.GetValue(remove))
            {
                if (parsed.GetValue(data) is not null) throw new ArgumentException("Give --data or --remove, not both.");
                AnsiConsole.MarkupLine(ModelFolder.RemovePromptVocabulary(folder)
                    ? "removed the prompt vocabulary: prompts are drawn as given"
                    : "the model has no prompt vocabulary: nothing to remove");
                return 0;
            }
            var dataFolder = parsed.GetValue(data)?.FullName ?? throw new ArgumentException("Give --data (the training captions) or --remove.");
            if (parsed.GetValue(threads) is { } n and > 0) TorchSharp.torch.set_num_threads(n);
            var rows = ImageFolder.Open(dataFolder).Rows;
            var count = ModelFolder.WritePromptVocabulary(folder, rows.Select(r => r.Captions));
            var written = Path.Combine(folder, ModelIndex.Load(folder).PromptVocabularyFolder!);
            AnsiConsole.MarkupLineInterpolated($"wrote [green]{written}[/]: {count} subjects ({rows.Sum(r => r.Captions.Count)} captions); each prompt is now drawn as the first caption of the subject nearest it");
            return 0;
        }));
        return command;
    }
}
