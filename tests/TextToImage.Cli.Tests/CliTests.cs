using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Networks;
using TextToImage.Diffusion.Pipelines;
using static TextToImage.Testing.T2iProcess;

namespace TextToImage.Cli.Tests;

public sealed class CliTests
{
    static int T2i(params string[] args) => Run(args).ExitCode;

    [Fact]
    public void The_clone_s_wrapper_script_runs_t2i()
    {
        var (exitCode, output) = RunFromClone("--help");
        Assert.True(exitCode == 0, output);
        foreach (var command in new[] { "generate", "edit", "upscale", "train", "eval", "dataset" })
            Assert.Contains(command, output);
    }

    [Fact]
    public void Dataset_options_that_cannot_work_say_why_before_anything_is_written()
    {
        using var temp = new TempFolder();
        var (unframed, why) = Run("dataset", "fluent-emoji", "--source", temp.Path, "--out", temp["out"], "--framed-captions", "2");
        Assert.NotEqual(0, unframed);
        Assert.Contains("--framed-captions frames CLDR short names: it needs --annotations", why);
        var (unphrased, whyUnphrased) = Run("dataset", "fluent-emoji", "--source", temp.Path, "--out", temp["out"], "--keyword-captions", "2");
        Assert.NotEqual(0, unphrased);
        Assert.Contains("--keyword-captions phrases CLDR keywords: it needs --annotations", whyUnphrased);

        File.WriteAllText(temp["held-out.jsonl"], "{\"text\": \"a smiling cat\"}\n");
        var (unnamed, whyNot) = Run("dataset", "fluent-emoji", "--source", temp.Path, "--out", temp["out"], "--held-out", temp["held-out.jsonl"]);
        Assert.NotEqual(0, unnamed);
        Assert.Contains("held-out.jsonl: 1 bad line(s)", whyNot);
        Assert.Contains("file_name", whyNot);
        Assert.False(Directory.Exists(temp["out"]));
    }

    [Fact]
    public void New_model_then_generate_writes_pngs_with_their_parameters()
    {
        using var temp = new TempFolder();
        Assert.Equal(0, T2i("new-model", "--out", temp["model"], "--preset", "tiny", "--seed", "1"));
        Assert.Equal(0, T2i("generate", "--model", temp["model"], "--prompt", "a red apple", "--negative-prompt", "blurry",
            "--seed", "11", "--steps", "3", "--sampler", "dpmpp-2m", "--guidance", "2.5", "--resolution", "32",
            "--num-images", "2", "--device", "cpu", "--out", temp["out/apple.png"]));

        for (var i = 1; i <= 2; i++)
        {
            using var stream = File.OpenRead(temp[$"out/apple-{i}.png"]);
            var metadata = ImageOutput.ReadMetadata(stream);
            Assert.NotNull(metadata);
            Assert.Equal(("a red apple", "blurry", 10L + i, 3, "dpmpp-2m", 2.5, "random-tiny", 32, 32),
                (metadata.Prompt, metadata.NegativePrompt, metadata.Seed, metadata.Steps, metadata.Sampler,
                 metadata.GuidanceScale, metadata.Model, metadata.Width, metadata.Height));
        }
    }

    [Fact]
    public void New_model_with_the_minilm_text_encoder_generates()
    {
        using var temp = new TempFolder();
        Assert.Equal(1, T2i("new-model", "--out", temp["bad"], "--preset", "tiny", "--text-encoder", "bert-large"));
        Assert.Equal(0, T2i("new-model", "--out", temp["model"], "--preset", "tiny", "--text-encoder", "minilm"));
        Assert.Contains("\"minilm-l6-v2\"", File.ReadAllText(temp["model/text_encoder/config.json"]));
        var (exitCode, output) = Run("generate", "--model", temp["model"], "--prompt", "a red apple", "--steps", "2",
            "--resolution", "16", "--device", "cpu", "--out", temp["apple.png"]);
        Assert.True(exitCode == 0, output);
        Assert.True(File.Exists(temp["apple.png"]));
    }

    [Fact]
    public void New_model_with_a_base_network_of_one_s_own_design_writes_it_and_generates()
    {
        using var temp = new TempFolder();
        Assert.Equal(0, T2i("new-model", "--out", temp["preset"], "--preset", "tiny"));
        var presetBase = UNet2DConditionConfig.Load(temp["preset/base/config.json"]);
        (presetBase with { BlockOutChannels = [12, 24], LayersPerBlock = [2] }).Save(temp["wider.json"]);
        Assert.Equal(0, T2i("new-model", "--out", temp["model"], "--preset", "tiny", "--base-config", temp["wider.json"]));
        var written = UNet2DConditionConfig.Load(temp["model/base/config.json"]);
        Assert.Equal([12, 24], written.BlockOutChannels);
        Assert.Equal([2], written.LayersPerBlock);
        Assert.Equal(File.ReadAllText(temp["preset/sr_32/config.json"]), File.ReadAllText(temp["model/sr_32/config.json"]));
        var (exitCode, output) = Run("generate", "--model", temp["model"], "--prompt", "a red apple", "--steps", "2", "--out", temp["apple.png"]);
        Assert.True(exitCode == 0, output);
        Assert.True(File.Exists(temp["apple.png"]));

        // A base the cascade cannot run is refused by name before anything is written.
        (presetBase with { SampleSize = 24 }).Save(temp["24px.json"]);
        var (refused, why) = Run("new-model", "--out", temp["refused"], "--preset", "tiny", "--base-config", temp["24px.json"]);
        Assert.Equal(1, refused);
        Assert.Contains("The base network's sample_size is 24; the tiny cascade's base needs 16.", why);
        var (absent, whyAbsent) = Run("new-model", "--out", temp["refused"], "--preset", "tiny", "--base-config", temp["absent.json"]);
        Assert.Equal(1, absent);
        Assert.Contains("--base-config: no file", whyAbsent);
        Assert.False(Directory.Exists(temp["refused"]));
    }

    [Fact]
    public void A_DeepFloyd_IF_cascade_in_its_diffusers_layout_generates_at_its_defaults()
    {
        using var temp = new TempFolder();
        TinyDeepFloyd.Create(temp["if"]);
        // --offload: the way IF runs on a 16 GB GPU; on a CPU it moves nothing and the run is as without it.
        var (exitCode, output) = Run("generate", "--model", temp["if"], "--prompt", "a photo of a red apple", "--seed", "2", "--offload", "--out", temp["apple.png"]);
        Assert.True(exitCode == 0, output);
        using var stream = File.OpenRead(temp["apple.png"]);
        var metadata = ImageOutput.ReadMetadata(stream);
        Assert.NotNull(metadata);
        // Stage I's defaults as published: 100 DDPM steps at guidance 7; 32 px after stage II.
        Assert.Equal(("deepfloyd-if", 100, "ddpm", 7.0, 32, 32), (metadata.Model, metadata.Steps, metadata.Sampler, metadata.GuidanceScale, metadata.Width, metadata.Height));
    }

    [Fact]
    public void User_errors_exit_with_1_and_write_nothing()
    {
        using var temp = new TempFolder();
        RandomCascade.Create(temp["model"], "tiny");
        var (exitCode, output) = Run("generate", "--model", temp["model"], "--prompt", "x", "--resolution", "100", "--out", temp["x.png"]);
        Assert.Equal(1, exitCode);
        Assert.Contains("Resolution 100 is not one of this model's", output);
        Assert.Equal(1, T2i("generate", "--model", temp["absent"], "--prompt", "x", "--out", temp["x.png"]));
        Assert.Equal(1, T2i("generate", "--model", temp["model"], "--prompt", "x", "--sampler", "euler", "--out", temp["x.png"]));

        var config = temp["model/base/config.json"];
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"DownBlock2D\"", "\"CrossAttnDownBlock2D\""));
        var (broken, brokenOutput) = Run("generate", "--model", temp["model"], "--prompt", "x", "--out", temp["x.png"]);
        Assert.Equal(1, broken);
        Assert.Contains("Stage 'base'", brokenOutput);
        Assert.DoesNotContain("Unhandled exception", brokenOutput);
        Assert.False(File.Exists(temp["x.png"]));
    }

    [Fact]
    public void Bench_measures_both_configs_against_the_ceilings_and_whole_generations()
    {
        using var temp = new TempFolder();
        Assert.Equal(0, T2i("new-model", "--out", temp["model"], "--preset", "tiny", "--seed", "1"));
        var (exitCode, output) = Run("bench", "--iterations", "1", "--batch", "1", "--device", "cpu", "--matmul-sizes", "256", "512",
            "--end-to-end", "--model", temp["model"]);
        Assert.True(exitCode == 0, output);
        Assert.Contains("GFLOP/s", output);
        Assert.Matches(@"matmul ceiling: \d+\.\d GFLOP/s", output);
        Assert.Matches(@"FMA peak: .* = \d+ GFLOP/s", output);   // this machine kind's CPU is in the table
        foreach (var job in new[] { "1 image", "4 images, batched", "4 images, per-image", "text encoding and the rest", "PNG encoding with metadata" })
            Assert.Matches(@"\d+\.\d\d", output.Split('\n').Single(line => line.Contains(job)));
        // auto runs super-resolution in bfloat16 on a CPU with bfloat16 dot products (this machine kind's has them): timed as it runs.
        var bfloat16 = ComputeTarget.CpuHasBFloat16();
        Assert.Equal(bfloat16, output.Contains("bfloat16 matmul ceiling:"));
        string[] workloads = ["matmul 256^3", "matmul 512^3", "base 32px", "super-res 32->128", .. bfloat16 ? new[] { "matmul in bfloat16, 512^3", "super-res in bfloat16, as auto runs it" } : []];
        foreach (var workload in workloads)
        {
            var row = output.Split('\n').Single(line => line.Contains(workload));
            // The row's median ms, GFLOP per call and GFLOP/s: measured, so positive and finite.
            var numbers = System.Text.RegularExpressions.Regex.Matches(row.Split(workload)[1], @"\d+\.\d+")
                .Select(m => double.Parse(m.Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.True(numbers.Count >= 3 && numbers.All(n => n > 0 && double.IsFinite(n)), row);
        }
    }

    [Fact]
    public void Generate_uses_the_bundled_model_when_none_is_named()
    {
        using var temp = new TempFolder();
        var (exitCode, output) = Run("generate", "--prompt", "grinning cat with smiling eyes, flat style", "--seed", "1", "--steps", "2",
            "--resolution", "32", "--out", temp["cat.png"]);
        Assert.True(exitCode == 0, output);
        using var png = File.OpenRead(temp["cat.png"]);
        Assert.Equal("fluent-emoji", ImageOutput.ReadMetadata(png)!.Model);
    }
}
