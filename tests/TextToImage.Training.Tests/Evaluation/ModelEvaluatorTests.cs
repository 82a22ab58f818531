using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TextToImage.Training.Data;
using TextToImage.Training.Evaluation;

namespace TextToImage.Training.Tests.Evaluation;

/// <summary><c>t2i eval</c> end to end on the tiny random model and a toy image folder (few steps, a handful of images).</summary>
public sealed class ModelEvaluatorTests(TinyModel tiny) : IClassFixture<TinyModel>, IDisposable
{
    readonly TempFolder _data = new();

    [Fact]
    public void Reports_retrieval_per_sampler_and_super_resolution_against_bicubic()
    {
        var (low, high) = (WriteFolder("16", 16), WriteFolder("32", 32));
        var settings = new EvalSettings
        {
            ModelFolder = tiny.Folder,
            DataFolder = low,
            SrDataFolder = high,
            Count = 4,
            Seed = 3,
            Samplers = SamplerRun.Parse("ddim:2, dpmpp-2m:2@3"),
            Batch = 3,
            SrBatch = 3,
            SrSteps = 2,
        };
        var lines = new List<string>();
        var sections = new List<EvalReport>();
        var report = new ModelEvaluator(tiny.Model, settings, lines.Add).Run(sectionDone: sections.Add);

        // The report so far after each sampler and after super-resolution.
        Assert.Equal([1, 2, 2], sections.Select(r => r.Retrieval.Count));
        Assert.Equal([false, false, true], sections.Select(r => r.SuperResolution is not null));

        Assert.Equal(["ddim", "dpmpp-2m"], report.Retrieval.Select(r => r.Sampler));
        Assert.Null(report.PromptText);   // only for held-out prompts
        foreach (var r in report.Retrieval)
        {
            Assert.Equal(2, r.Steps);
            Assert.Equal(10, r.DatasetRows);
            var count = r.Sampler == "ddim" ? 4 : 3;   // dpmpp-2m:2@3: the first 3 captions of the same shuffle
            Assert.Equal(count, r.Top1.Count);
            Assert.Equal(0.1, r.Top1.Chance, 12);
            Assert.Equal(0.5, r.Top5.Chance, 12);
            Assert.Equal(ModelEvaluator.PickRows(10, 4, 3).Take(count), r.Items.Select(i => i.Row));
            Assert.Equal(new long[] { 3, 4, 5, 6 }.Take(count), r.Items.Select(i => i.Seed));
            Assert.True(r.Top1.Hits <= r.Top5.Hits && r.Top5.Hits <= r.Top5SameEmojiAnyStyle.Hits);
        }
        var sr = report.SuperResolution!;
        Assert.Equal(("sr_32", 16, 32, 4, 2), (sr.Stage, sr.LowResolution, sr.Resolution, sr.Count, sr.Steps));
        Assert.All(sr.Items, i => Assert.True(i.ModelPsnr is > 0 and < ImageQuality.MaxPsnr && i.BicubicSsim is > -1 and <= 1));
        // Flat colour blocks: bicubic upsampling of their area-downsampled copy is close; a random network is not.
        Assert.True(sr.Bicubic.Psnr > sr.Model.Psnr, $"bicubic {sr.Bicubic.Psnr} dB, model {sr.Model.Psnr} dB");
        Assert.Contains(lines, l => l.Contains("s per image"));

        using var json = JsonDocument.Parse(report.ToJson());
        var first = json.RootElement.GetProperty("retrieval")[0];
        Assert.Equal(4, first.GetProperty("top1").GetProperty("count").GetInt32());
        Assert.True(first.TryGetProperty("top5SameEmojiAnyStyle", out _));
        Assert.True(json.RootElement.GetProperty("superResolution").GetProperty("bicubic").TryGetProperty("ssim", out _));
    }

    [Fact]
    public void Held_out_prompts_condition_the_images_and_are_scored_against_the_rows_they_name()
    {
        var data = WriteFolder("16", 16);
        var prompts = Path.Combine(_data.Path, "paraphrases.jsonl");
        File.WriteAllLines(prompts,
        [
            """{"file_name": "images/flat-4.png", "text": "the third emoji, drawn flat"}""",
            """{"file_name": "images/modern-7.png", "text": "the fourth one"}""",
            """{"file_name": "images/flat-0.png", "text": "emoji 0, flat style"}""",
            """{"file_name": "images/flat-2.png", "text": "left out by --count"}""",
        ]);
        var settings = new EvalSettings
        {
            ModelFolder = tiny.Folder, DataFolder = data, PromptsFile = prompts, Count = 3, Seed = 3, Samplers = SamplerRun.Parse("ddim:2"),
        };
        var encoded = new List<IReadOnlyList<string>>();
        var evaluator = new ModelEvaluator(tiny.Model.Stages, p => { encoded.Add(p); return tiny.Model.TextEncoder.Encode(p); },
            tiny.Model.Target, settings);

        var report = evaluator.Run();

        // The images are conditioned on the prompts (then the unconditional row), not on the rows' captions.
        Assert.Equal(["the third emoji, drawn flat", "the fourth one", "emoji 0, flat style", ""], encoded[^1]);
        Assert.Equal(prompts, report.Prompts);
        var items = Assert.Single(report.Retrieval).Items;
        Assert.Equal([4, 7, 0], items.Select(i => i.Row));
        Assert.Equal(new long[] { 3, 4, 5 }, items.Select(i => i.Seed));
        Assert.Equal(["emoji 2, flat style", "emoji 3, modern style", null], items.Select(i => i.RowCaption));   // only where it differs
        Assert.Equal(3, report.Retrieval[0].Top1.Count);
        // The text encoder alone: the verbatim caption is its own nearest caption.
        Assert.Equal([4, 7, 0], report.PromptText!.Items.Select(i => i.Row));
        Assert.Equal((0, "emoji 0, flat style"), (report.PromptText.Items[2].Rank, report.PromptText.Items[2].NearestCaption));
        Assert.True(report.PromptText.Top1.Hits >= 1 && report.PromptText.Top5.Hits >= report.PromptText.Top1.Hits);
        using var json = JsonDocument.Parse(report.ToJson());
        Assert.Equal("the fourth one", json.RootElement.GetProperty("retrieval")[0].GetProperty("items")[1].GetProperty("caption").GetString());
    }

    [Fact]
    public void The_sample_grid_puts_each_caption_s_cascade_output_over_its_real_image()
    {
        var size = tiny.Model.Resolutions[^1];
        var data = ImageFolder.Open(WriteFolder("final", size));
        var rows = ModelEvaluator.PickRows(data.Rows.Count, 3, seed: 4);
        var path = Path.Combine(_data.Path, "sheet", "grid.png");
        SampleSheet.Write(path, tiny.Model, data, rows, seed: 4);

        using var grid = Image.Load<Rgb24>(path);
        Assert.Equal((3 * size, 2 * size), (grid.Width, grid.Height));          // the last stage's resolution, samples over real images
        for (var i = 0; i < rows.Count; i++)
        {
            using var real = Image.Load<Rgb24>(data.Rows[rows[i]].Path);
            foreach (var (x, y) in new[] { (2, 2), (size - 3, size - 3) })        // in the corner block, in the background
                Assert.Equal(real[x, y], grid[size * i + x, size + y]);
        }
        Assert.Equal(rows.Select((r, i) => $"{i + 1}: {data.Rows[r].Text} (seed {4 + i})"), File.ReadAllLines(Path.ChangeExtension(path, ".txt")));
    }

    [Fact]
    public void The_text_alone_is_measured_against_every_caption_and_its_pick_s_real_image_is_retrieved_as_a_generated_one()
    {
        var data = WriteFolder("16", 16, otherNames: true);
        var prompts = Path.Combine(_data.Path, "other-names.jsonl");
        File.WriteAllLines(prompts,
        [
            """{"file_name": "images/flat-6.png", "text": "also called 6"}""",      // row 6's second caption, verbatim
            """{"file_name": "images/modern-5.png", "text": "also called 3"}""",    // row 3's second caption, naming row 5
        ]);
        var settings = new EvalSettings
        {
            ModelFolder = tiny.Folder, DataFolder = data, PromptsFile = prompts, Count = 2, Seed = 0, Samplers = SamplerRun.Parse("ddim:1"),
        };

        var text = new ModelEvaluator(tiny.Model, settings).Run().PromptText!;

        // Row 6 is its nearest row by its second caption, and the real image of that row is its own: a hit for the pick's image too.
        Assert.Equal((0, "emoji 3, flat style", 0), (text.Items[0].AnyCaptionRank, text.Items[0].NearestRowCaption, text.Items[0].NearestRowImageRank));
        // The text picks row 3 for a prompt naming row 5: the pick's image is row 3's, among whose nearest row 5 is not first.
        Assert.Equal("emoji 1, modern style", text.Items[1].NearestRowCaption);
        Assert.True(text.Items[1].AnyCaptionRank >= 1 && text.Items[1].NearestRowImageRank >= 1);
        Assert.Equal((1, 2), (text.AnyCaptionTop1.Hits, text.AnyCaptionTop1.Count));
        Assert.Equal(1, text.NearestRowImageTop1.Hits);
        Assert.True(text.NearestRowImageTop5.Hits >= text.NearestRowImageTop1.Hits);
    }

    /// <summary>Ten rows, five emoji in two styles, as flat colour blocks; the same rows at every size. With
    /// <paramref name="otherNames"/> each row's text is a list: its caption, then "also called i".</summary>
    string WriteFolder(string name, int size, bool otherNames = false)
    {
        var folder = Path.Combine(_data.Path, name);
        Directory.CreateDirectory(Path.Combine(folder, "images"));
        var lines = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            var style = i % 2 == 0 ? "flat" : "modern";
            using var image = new Image<Rgb24>(size, size, new Rgb24((byte)(25 * i), (byte)(255 - 20 * i), (byte)(i * 7 % 256)));
            for (var y = 0; y < size / 2; y++)
                for (var x = 0; x < size / 2; x++)
                    image[x, y] = new Rgb24((byte)(200 - 15 * i), 40, (byte)(10 * i));
            var file = $"images/{style}-{i}.png";
            image.SaveAsPng(Path.Combine(folder, file));
            var caption = $"emoji {i / 2}, {style} style";
            lines.Add(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["file_name"] = file, ["text"] = otherNames ? new[] { caption, $"also called {i}" } : caption,
            }));
        }
        File.WriteAllLines(Path.Combine(folder, "metadata.jsonl"), lines);
        return folder;
    }

    public void Dispose() => _data.Dispose();
}
