using System.CommandLine;
using Spectre.Console;
using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Pipelines;
using TextToImage.Training.Evaluation;

namespace TextToImage.Cli;

/// <summary>
/// <c>t2i eval</c>: text faithfulness by nearest-training-image retrieval per sampler, and the
/// super-resolution stage's PSNR/SSIM next to bicubic; a table on the console and a JSON report.
/// </summary>
static class EvalCommand
{
    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model", "-m") { Description = "Model folder (model_index.json).", Required = true };
        var data = new Option<DirectoryInfo>("--data") { Description = "Image folder at the base resolution (t2i dataset): captions and retrieval gallery.", Required = true };
        var srData = new Option<DirectoryInfo?>("--sr-data") { Description = "Image folder at the super-resolution stage's resolution (same rows); enables the SR evaluation." };
        var prompts = new Option<FileInfo?>("--prompts") { Description = "Held-out prompts to retrieve with instead of the training captions: JSON Lines of {\"file_name\": a row of --data, \"text\": a prompt for its image} (e.g. models/fluent-emoji/paraphrases.jsonl)." };
        var count = new Option<int>("--count") { Description = "Captions or prompts (and SR images) evaluated. Default: 200.", DefaultValueFactory = _ => 200 };
        var seed = new Option<long>("--seed") { Description = "Seed of the row shuffle; image i uses seed + i. Default: 0.", DefaultValueFactory = _ => 0 };
        var samplers = new Option<string>("--samplers") { Description = "SAMPLER:STEPS list for retrieval; SAMPLER:STEPS@N runs that one on the first N captions only; \"none\" skips retrieval. Default: ddpm:1000,ddim:50,dpmpp-2m:20.", DefaultValueFactory = _ => "ddpm:1000,ddim:50,dpmpp-2m:20" };
        var guidance = new Option<double?>("--guidance") { Description = "Base-stage guidance scale (default: the stage's default)." };
        var batch = new Option<int>("--batch") { Description = "Captions per forward pass of the base stage. Default: 50.", DefaultValueFactory = _ => 50 };
        var srBatch = new Option<int>("--sr-batch") { Description = "Images per forward pass of the SR stage. Default: 10.", DefaultValueFactory = _ => 10 };
        var srStage = new Option<string?>("--sr-stage") { Description = "Super-resolution stage to evaluate (default: the first)." };
        var srSteps = new Option<int?>("--sr-steps") { Description = "SR sampler steps (default: the stage's default)." };
        var srNoise = new Option<int?>("--sr-noise-level") { Description = "SR noise-conditioning level (default: the stage's default)." };
        var srGuidance = new Option<double?>("--sr-guidance") { Description = "SR guidance scale (default: the stage's default)." };
        var threads = new Option<int?>("--threads") { Description = "Torch threads (default: all cores)." };
        var targetOptions = new TargetOptions(withOffload: false);
        var output = new Option<FileInfo?>("--out", "-o") { Description = "JSON report with every number and setting." };
        var grid = new Option<FileInfo?>("--grid") { Description = "PNG sample grid: the whole cascade (its defaults) for the first captions of the shuffle, over their real images (see --grid-data)." };
        var gridData = new Option<DirectoryInfo?>("--grid-data") { Description = "Image folder (same rows) whose images the grid shows as the real ones. Default: --sr-data, else --data." };
        var gridCount = new Option<int>("--grid-count") { Description = "Captions in the grid. Default: 8.", DefaultValueFactory = _ => 8 };

        var command = new Command("eval", "Measure a model: caption retrieval per sampler, and super-resolution PSNR/SSIM against bicubic.")
        {
            model, data, srData, prompts, count, seed, samplers, guidance, batch, srBatch, srStage, srSteps, srNoise, srGuidance, threads, output, grid, gridData, gridCount,
        };
        targetOptions.AddTo(command);
        command.SetAction(parsed => CliErrors.Run(() =>
        {
            var samplerText = parsed.GetRequiredValue(samplers);
            var settings = new EvalSettings
            {
                ModelFolder = parsed.GetRequiredValue(model).FullName,
                DataFolder = parsed.GetRequiredValue(data).FullName,
                SrDataFolder = parsed.GetValue(srData)?.FullName,
                PromptsFile = parsed.GetValue(prompts)?.FullName,
                Count = parsed.GetValue(count),
                Seed = parsed.GetValue(seed),
                Samplers = samplerText.Trim() == "none" ? [] : SamplerRun.Parse(samplerText),
                Guidance = parsed.GetValue(guidance),
                Batch = parsed.GetValue(batch),
                SrBatch = parsed.GetValue(srBatch),
                SrStage = parsed.GetValue(srStage),
                SrSteps = parsed.GetValue(srSteps),
                SrNoiseLevel = parsed.GetValue(srNoise),
                SrGuidance = parsed.GetValue(srGuidance),
            };
            var gridFile = parsed.GetValue(grid);
            var measures = settings.Samplers.Count > 0 || settings.SrDataFolder is not null;
            if (measures || gridFile is null) settings.Validate();
            if (parsed.GetValue(gridCount) < 1) throw new ArgumentException("--grid-count must be at least 1.");
            if (parsed.GetValue(threads) is { } n and > 0) TorchSharp.torch.set_num_threads(n);
            var target = targetOptions.Resolve(parsed);
            using var cascade = ModelFolder.Load(settings.ModelFolder, target);
            var outputFile = parsed.GetValue(output);
            Action<string> log = line => Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}");

            using var cancel = new CancellationTokenSource();
            ConsoleCancelEventHandler onCtrlC = (_, e) => { e.Cancel = true; cancel.Cancel(); };
            Console.CancelKeyPress += onCtrlC;
            try
            {
                if (measures)
                {
                    // The report so far is written after every section: an interrupted run keeps what it finished.
                    var report = new ModelEvaluator(cascade, settings, log).Run(cancel.Token, partial => Write(partial, outputFile));
                    Print(report);
                    Write(report, outputFile);
                    if (outputFile is not null) AnsiConsole.MarkupLineInterpolated($"wrote [green]{outputFile.FullName}[/]");
                }
                if (gridFile is not null)
                {
                    var real = TextToImage.Training.Data.ImageFolder.Open(parsed.GetValue(gridData)?.FullName ?? settings.SrDataFolder ?? settings.DataFolder);
                    var rows = ModelEvaluator.PickRows(real.Rows.Count, parsed.GetValue(gridCount), settings.Seed);
                    SampleSheet.Write(gridFile.FullName, cascade, real, rows, settings.Seed, log, cancel.Token);
                    AnsiConsole.MarkupLineInterpolated($"wrote [green]{gridFile.FullName}[/] and its captions");
                }
            }
            finally
            {
                Console.CancelKeyPress -= onCtrlC;
            }
            return 0;
        }));
        return command;
    }

    static void Print(EvalReport report)
    {
        // Redirected output (a log file) gets Spectre's 80 columns by default: too narrow for the tables.
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 140;
        if (report.PromptVocabulary is { } vocabulary) AnsiConsole.MarkupLineInterpolated($"prompts: {vocabulary}");
        if (report.Retrieval.Count > 0)
        {
            var first = report.Retrieval[0];
            var question = report.Prompts is null ? "is the caption's own image" : $"held-out prompts of {Path.GetFileName(report.Prompts)}: is the image each names";
            var table = new Table()
                .Title($"Text faithfulness: {question} among the nearest of {first.DatasetRows} training images? ({first.Resolution} px, squared L2)")
                .Caption("* secondary: a neighbour shows the caption's emoji in any style (its chance depends on how many rows that emoji has)"
                         + (report.PromptText is null ? "" : "\ntext encoder alone: is the prompt's pooled embedding nearest (cosine) its row's first caption among the rows' first captions,"
                            + "\n  or its row among every row's captions? image of the text's pick: the real image of the row nearest by any caption, retrieved"
                            + "\n  as a generated image is (what a base stage drawing exactly the emoji the encoder picks would score)"))
                .AddColumns("sampler", "steps", "guidance", report.Prompts is null ? "captions" : "prompts", "top-1", "top-5", "top-5 same emoji*", "s / image");
            foreach (var r in report.Retrieval)
                table.AddRow(r.Sampler, $"{r.Steps}", $"{r.Guidance:0.##}", $"{r.Top1.Count}", Rate(r.Top1), Rate(r.Top5), Rate(r.Top5SameEmojiAnyStyle), $"{r.SecondsPerImage:F2}");
            table.AddRow("[grey]chance[/]", "", "", "", Pct(first.Top1.Chance), Pct(first.Top5.Chance), Pct(first.Top5SameEmojiAnyStyle.Chance), "");
            if (report.PromptText is { } text)
            {
                table.AddRow("[grey]text encoder alone, first captions[/]", "", "", $"{text.Top1.Count}", Rate(text.Top1), Rate(text.Top5), "", "");
                table.AddRow("[grey]text encoder alone, any caption[/]", "", "", $"{text.AnyCaptionTop1.Count}", Rate(text.AnyCaptionTop1), Rate(text.AnyCaptionTop5), "", "");
                table.AddRow("[grey]image of the text's pick[/]", "", "", $"{text.NearestRowImageTop1.Count}", Rate(text.NearestRowImageTop1), Rate(text.NearestRowImageTop5), "", "");
            }
            AnsiConsole.Write(table);
        }
        if (report.SuperResolution is { } sr)
        {
            var table = new Table()
                .Title($"Super-resolution {sr.LowResolution} -> {sr.Resolution} px of area-downsampled real images, {sr.Count} images")
                .Caption($"PSNR on 8-bit RGB (identical = {ImageQuality.MaxPsnr} dB); SSIM per R, G, B channel, averaged; mean ± std over images")
                .AddColumns("method", "PSNR (dB)", "SSIM", "s / image");
            table.AddRow($"{sr.Stage} ({sr.Sampler}:{sr.Steps}, noise level {sr.NoiseLevel}, guidance {sr.Guidance:0.##})",
                $"{sr.Model.Psnr:F2} ± {sr.Model.PsnrStd:F2}", $"{sr.Model.Ssim:F4} ± {sr.Model.SsimStd:F4}", $"{sr.SecondsPerImage:F2}");
            table.AddRow("bicubic (torch, a = -0.75)", $"{sr.Bicubic.Psnr:F2} ± {sr.Bicubic.PsnrStd:F2}", $"{sr.Bicubic.Ssim:F4} ± {sr.Bicubic.SsimStd:F4}", "");
            AnsiConsole.Write(table);
        }
        AnsiConsole.WriteLine($"wall time {report.WallSeconds:F1} s");
    }

    /// <summary>Writes the report atomically (a temporary file, then a rename), when a file was asked for.</summary>
    static void Write(EvalReport report, FileInfo? file)
    {
        if (file is null) return;
        if (file.DirectoryName is { } folder) Directory.CreateDirectory(folder);
        var temporary = file.FullName + ".tmp";
        File.WriteAllText(temporary, report.ToJson());
        File.Move(temporary, file.FullName, overwrite: true);
    }

    static string Rate(HitRate rate) => $"{rate.Hits}/{rate.Count} = {Pct(rate.Rate)}";

    static string Pct(double value) => value.ToString(value is > 0 and < 0.01 ? "P3" : "P1", System.Globalization.CultureInfo.InvariantCulture);
}
