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
        var data = new Option<DirectoryInfo?>("--data") { Description = "Image folder (t2i dataset) whose captions the model was trained on: every caption of every row becomes a vocabulary caption." };
        var remove = new Option<bool>("--remove") { Description = "Take the vocabulary away: prompts are drawn as given again." };
        var threads = new Option<int?>("--threads") { Description = "Torch threads (default: all cores)." };
        var command = new Command("vocabulary",
            "Draw every prompt as the nearest of the model's training captions (cosine of the text encoder's pooled embeddings): " +
            "for a model that knows a closed set of subjects. Writes vocabulary/ into the model folder and names it in model_index.json.")
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
            var captions = ImageFolder.Open(dataFolder).Rows.SelectMany(r => r.Captions).ToList();
            var count = ModelFolder.WritePromptVocabulary(folder, captions);
            var written = Path.Combine(folder, ModelIndex.Load(folder).PromptVocabularyFolder!);
            AnsiConsole.MarkupLineInterpolated($"wrote [green]{written}[/]: {count} distinct captions of {captions.Count}; prompts are now drawn as the nearest of them");
            return 0;
        }));
        return command;
    }
}
