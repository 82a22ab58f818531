using System.Globalization;
using System.Text.Json;
using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Pipelines;
using TextToImage.Training.Evaluation;
using TextToImage.Training.Training;
using static TorchSharp.torch;

namespace TextToImage.Training.Tests.Training;

public sealed class StageTrainerTests : IDisposable
{
    readonly TinyTrainingSetup _setup = new();

    public void Dispose() => _setup.Dispose();

    StageTrainer Trainer(string run, TrainingOptions options) => new(_setup.Run(run), options, ComputeTarget.Cpu);

    [Fact]
    public void A_resumed_run_ends_with_exactly_the_weights_of_an_uninterrupted_one()
    {
        using (var straight = Trainer("straight", _setup.Options(steps: 6))) straight.Train();
        using (var first = Trainer("resumed", _setup.Options(steps: 3))) Assert.Equal(3, first.Train().Step);
        using (var second = Trainer("resumed", _setup.Options(steps: 6)))
        {
            Assert.Equal(3, second.State.Step);                                    // picked up the checkpoint
            Assert.Equal(6, second.Train().Step);
        }

        foreach (var file in new[] { "model.safetensors", "ema.safetensors" })
        {
            var a = Safetensors.Load(Path.Combine(_setup.Run("straight"), "checkpoint", file));
            var b = Safetensors.Load(Path.Combine(_setup.Run("resumed"), "checkpoint", file));
            Assert.Equal(a.Keys.Order(), b.Keys.Order());
            foreach (var (name, tensor) in a)
                Assert.True(Same(tensor, b[name]), $"{file}: {name} differs after resuming");
        }
        var initial = Safetensors.Load(Path.Combine(_setup.Model, "base", ModelFolder.WeightsFile));
        var trained = Safetensors.Load(Path.Combine(_setup.Run("straight"), "checkpoint", "model.safetensors"));
        Assert.Contains(initial, p => !Same(p.Value, trained[p.Key]));               // and training did change the weights
    }

    static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    [Fact]
    public void Rows_with_several_captions_train_on_each_of_them_and_the_first_is_the_row_s_caption()
    {
        var data = _setup.Data(16);
        var metadata = Path.Combine(data, TinyTrainingSetup.MetadataFile);
        File.WriteAllLines(metadata, File.ReadAllLines(metadata).Select(line =>
        {
            var row = System.Text.Json.Nodes.JsonNode.Parse(line)!;
            var caption = row["text"]!.GetValue<string>();
            row["text"] = new System.Text.Json.Nodes.JsonArray(caption, caption.Replace("a ", "one "));
            return row.ToJsonString();
        }));
        var rows = TextToImage.Training.Data.ImageFolder.Open(data).Rows;
        using var text = TextEmbeddingCache.Load(data, Path.Combine(_setup.Model, "text_encoder"), rows.Select(r => r.Captions).ToList());

        Assert.Equal(8, text.States.shape[0]);                                   // both captions of each of the 4 rows
        var random = new Random(5);
        var drawn = Enumerable.Range(0, 400).Select(_ => text.CaptionOf(2, random)).ToHashSet();
        Assert.Equal([4L, 5L], drawn.Order());                                   // row 2's two captions, both drawn, nothing else
        using (var second = text.Select(["one blue square"]))
            Assert.True(Same(second.TokenStates, text.States[5..6]));

        using var trainer = Trainer("captions", _setup.Options(steps: 3));
        Assert.Equal(3, trainer.Train().Step);
    }

    [Fact]
    public void A_stage_that_attends_to_the_sentence_embedding_trains_on_one_token_per_caption()
    {
        var data = _setup.Data(16);
        var rows = TextToImage.Training.Data.ImageFolder.Open(data).Rows;
        var captions = rows.Select(r => r.Captions).ToList();
        var encoderFolder = Path.Combine(_setup.Model, "text_encoder");
        using var tokens = TextEmbeddingCache.Load(data, encoderFolder, captions);
        using var sentence = TextEmbeddingCache.Load(data, encoderFolder, captions, StageTextInput.Sentence);
        using var encoder = TextToImage.Diffusion.Text.TextEncoderConfig.Load(encoderFolder).Create(encoderFolder, ComputeTarget.Cpu);
        using var encoded = encoder.Encode([rows[1].Text, ""]);
        using var expected = encoded.AsSentenceToken();

        Assert.Equal([(long)rows.Count, 1, expected.TokenStates.shape[2]], sentence.States.shape);
        Assert.True(sentence.States[1].allclose(expected.TokenStates[0], rtol: 1e-5, atol: 1e-5));
        Assert.True(sentence.EmptyStates.allclose(expected.TokenStates[1..2], rtol: 1e-5, atol: 1e-5));
        using (var selected = tokens.Select([rows[1].Text]))                      // the token cache keeps the pooled vector too
            Assert.True(selected.Pooled.allclose(encoded.Pooled[0..1], rtol: 1e-5, atol: 1e-6));

        ModelIndexEdits.SetStageEntry(_setup.Model, 0, "text_input", "sentence");
        using var trainer = Trainer("sentence", _setup.Options(steps: 3));
        Assert.Equal(3, trainer.Train().Step);
    }

    [Fact]
    public void A_stage_that_attends_to_tokens_with_the_sentence_embedding_trains_on_the_token_cache_with_its_first_token_replaced()
    {
        var data = _setup.Data(16);
        var captions = TextToImage.Training.Data.ImageFolder.Open(data).Rows.Select(r => r.Captions).ToList();
        var encoderFolder = Path.Combine(_setup.Model, "text_encoder");
        using var tokens = TextEmbeddingCache.Load(data, encoderFolder, captions);
        using var mixed = TextEmbeddingCache.Load(data, encoderFolder, captions, StageTextInput.TokensWithSentence);
        using var sentence = TextEmbeddingCache.Load(data, encoderFolder, captions, StageTextInput.Sentence);

        Assert.Equal(tokens.States.shape, mixed.States.shape);
        Assert.True(mixed.States[.., 0].allclose(sentence.States[.., 0], rtol: 1e-5, atol: 1e-6));
        Assert.True(Same(mixed.States[.., 1..], tokens.States[.., 1..]));
        Assert.True(mixed.EmptyStates[.., 0].allclose(sentence.EmptyStates[.., 0], rtol: 1e-5, atol: 1e-6));

        ModelIndexEdits.SetStageEntry(_setup.Model, 0, "text_input", "tokens_with_sentence");
        using var trainer = Trainer("tokens-with-sentence", _setup.Options(steps: 3));
        Assert.Equal(3, trainer.Train().Step);
    }

    [Fact]
    public void Training_reduces_the_loss_on_a_fixed_batch()
    {
        var options = _setup.Options(steps: 200) with { LearningRate = 3e-3, BatchSize = 8, MinSnrGamma = null, CheckpointEvery = 1000, LogEvery = 50 };
        using var trainer = Trainer("loss", options);
        var before = trainer.EvaluateLoss(seed: 123, batchSize: 64);
        trainer.Train();
        var after = trainer.EvaluateLoss(seed: 123, batchSize: 64);
        Assert.True(after < 0.8 * before, $"loss on the fixed batch went from {before:F4} to {after:F4}");
        Assert.Equal(4, trainer.LossLog.Points.Count);
    }

    [Fact]
    public void Logs_curve_and_sample_grids_are_written_as_it_goes()
    {
        using var trainer = Trainer("logs", _setup.Options(steps: 4) with { SampleEvery = 4 });
        trainer.Train();
        var run = _setup.Run("logs");
        var csv = File.ReadAllLines(Path.Combine(run, "loss.csv"));
        Assert.Equal("step,samples,loss,lr,train_seconds,samples_per_second", csv[0]);
        Assert.Equal(["2", "4"], csv.Skip(1).Select(l => l.Split(',')[0]));
        Assert.True(new FileInfo(Path.Combine(run, "loss.png")).Length > 0);
        Assert.False(File.Exists(Path.Combine(run, "eval.csv")));                 // no --eval-every, no measurements
        var grid = Path.Combine(run, "samples", "step-0000004.png");
        using var image = SixLabors.ImageSharp.Image.Load(grid);
        Assert.Equal((4 * 16, 2 * 16), (image.Width, image.Height));              // samples over the real images, 4 captions
        Assert.Equal(4, File.ReadAllLines(Path.ChangeExtension(grid, ".txt")).Length);
    }

    [Fact]
    public void A_picture_that_cannot_be_drawn_is_logged_and_training_goes_on()
    {
        var log = new List<string>();
        using (var trainer = new StageTrainer(_setup.Run("pictures"), _setup.Options(steps: 4) with { SampleEvery = 2 }, ComputeTarget.Cpu,
                   log.Add, new ThrowingPictures()))
            Assert.Equal(4, trainer.Train().Step);

        var run = _setup.Run("pictures");
        Assert.Equal(4, Checkpoint.ReadState(Checkpoint.Find(run)!).Step);        // trained to the end and saved
        Assert.Equal(["2", "4"], File.ReadAllLines(Path.Combine(run, "loss.csv")).Skip(1).Select(l => l.Split(',')[0]));
        Assert.Equal(2, log.Count(l => l.Contains("loss.png") && l.Contains("libSkiaSharp is incompatible") && l.Contains("training goes on")));
        Assert.Equal(2, log.Count(l => l.Contains("step-000000") && l.Contains("training goes on")));
        Assert.False(File.Exists(Path.Combine(run, "loss.png")));
    }

    sealed class ThrowingPictures : IRunPictures
    {
        public void WriteLossCurve(string path, IReadOnlyList<LossPoint> points) =>
            throw new InvalidOperationException("The version of the native libSkiaSharp is incompatible");

        public void WriteSampleGrid(string path, StageDefinition stage, Diffusion.Networks.UNet2DConditionModel network,
            Diffusion.Schedules.PredictionType objective, TextToImage.Training.Data.ImageFolder data, Tensor pixels, TextEmbeddingCache text, TrainingOptions options) =>
            throw new IOException("No space left on device");
    }

    [Fact]
    public void The_loss_curve_is_a_picture_of_the_logged_points()
    {
        var path = Path.Combine(_setup.Run("plot"), "loss.png");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        LossCurvePlot.Write(path, [new LossPoint(10, 40, 1.0, 1e-4, 1, 1), new LossPoint(20, 80, 0.1, 1e-4, 2, 1)]);
        using var image = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgb24>(path);
        Assert.Equal((800, 400), (image.Width, image.Height));
        // The smoothed curve starts at the first point (top left of the plot area) and falls to the right.
        Assert.Equal(new SixLabors.ImageSharp.PixelFormats.Rgb24(20, 60, 160), image[50, 50]);
        Assert.Equal(new SixLabors.ImageSharp.PixelFormats.Rgb24(150, 180, 230), image[750, 350]);
        Assert.Equal(new SixLabors.ImageSharp.PixelFormats.Rgb24(255, 255, 255), image[400, 20]);
    }

    [Fact]
    public void Cancelling_saves_the_step_reached_and_the_log_forgets_steps_after_the_checkpoint()
    {
        using var stop = new CancellationTokenSource();
        using (var trainer = Trainer("cancel", _setup.Options(steps: 100) with { CheckpointEvery = 1000 }))
        {
            var state = trainer.Train(p => { if (p.Step == 5) stop.Cancel(); }, stop.Token);
            Assert.Equal(5, state.Step);
        }
        var checkpoint = Checkpoint.Find(_setup.Run("cancel"))!;
        Assert.Equal(5, Checkpoint.ReadState(checkpoint).Step);

        // A crash after logging step 6 but before its checkpoint: the resumed log must not show 6 twice.
        File.AppendAllLines(Path.Combine(_setup.Run("cancel"), "loss.csv"), ["6,24,0.5,0.001,1.0,10.0"]);
        using var resumed = Trainer("cancel", _setup.Options(steps: 6));
        Assert.Equal([2, 4], resumed.LossLog.Points.Select(p => p.Step));
    }

    [Fact]
    public void A_checkpoint_interrupted_mid_swap_is_still_found_and_a_half_written_one_is_ignored()
    {
        using (var trainer = Trainer("swap", _setup.Options(steps: 3))) trainer.Train();
        var run = _setup.Run("swap");
        Directory.Move(Path.Combine(run, "checkpoint"), Path.Combine(run, "checkpoint.old"));   // crash between the renames
        Directory.CreateDirectory(Path.Combine(run, "checkpoint.tmp"));                        // and a half-written next one
        File.WriteAllText(Path.Combine(run, "checkpoint.tmp", "model.safetensors"), "partial");
        Assert.Equal(Path.Combine(run, "checkpoint.old"), Checkpoint.Find(run));
        using var resumed = Trainer("swap", _setup.Options(steps: 4));
        Assert.Equal(3, resumed.State.Step);
        Assert.Equal(4, resumed.Train().Step);
        Assert.Equal(Path.Combine(run, "checkpoint"), Checkpoint.Find(run));
    }

    [Fact]
    public void A_kept_checkpoint_exports_the_weights_of_a_run_stopped_at_its_step()
    {
        var options = _setup.Options(steps: 5) with { KeepEvery = 2, CheckpointEvery = 1000 };
        using (var trainer = Trainer("kept", options)) trainer.Train();
        var run = _setup.Run("kept");
        Assert.Equal([2L, 4L], Checkpoint.KeptSteps(run));                        // kept whatever --checkpoint-every says
        Assert.Equal(5, Checkpoint.ReadState(Checkpoint.Find(run)!).Step);          // while the latest went on
        var weights = Path.Combine(_setup.Model, "base", ModelFolder.WeightsFile);

        var stoppedOptions = _setup.Options(steps: 2);
        using (var stopped = Trainer("stopped", stoppedOptions)) stopped.Train();
        StageTrainer.Export(_setup.Run("stopped"), stoppedOptions, ScalarType.Float32);
        var expected = Safetensors.Load(weights);
        StageTrainer.Export(run, options, ScalarType.Float32, step: 2);
        Assert.Equal("2", Safetensors.ReadMetadata(weights)["training_steps"]);
        var kept = Safetensors.Load(weights);
        Assert.Equal(expected.Keys.Order(), kept.Keys.Order());
        foreach (var (name, tensor) in expected) Assert.True(Same(tensor, kept[name]), $"{name}: the kept step-2 export differs");

        // A step not kept is refused, naming those that are, and the model folder keeps what it had.
        var refusal = Assert.Throws<ArgumentException>(() => StageTrainer.Export(run, options, ScalarType.Float16, step: 3));
        Assert.Contains("kept: 2, 4", refusal.Message);
        Assert.Equal("2", Safetensors.ReadMetadata(weights)["training_steps"]);
        Assert.Contains("--keep-every", Assert.Throws<ArgumentException>(() => StageTrainer.Export(_setup.Run("stopped"), stoppedOptions, ScalarType.Float16, step: 2)).Message);
    }

    [Fact]
    public void A_super_resolution_stage_trains_on_crops_and_exports_a_loadable_model()
    {
        var options = _setup.Options("sr_32", steps: 3) with { CropSize = 16, Objective = "v_prediction" };
        using (var trainer = Trainer("sr", options)) trainer.Train();
        StageTrainer.Export(_setup.Run("sr"), options, ScalarType.Float16);

        var weights = Path.Combine(_setup.Model, "sr_32", ModelFolder.WeightsFile);
        Assert.Equal("3", Safetensors.ReadMetadata(weights)["training_steps"]);
        Assert.All(Safetensors.Load(weights).Values, t => Assert.Equal(ScalarType.Float16, t.dtype));
        using var model = ModelFolder.Load(_setup.Model, ComputeTarget.Cpu);
        Assert.Equal("v_prediction", model.Stages[1].Scheduler.PredictionType);
        using var result = new CascadePipeline(model).Generate(new GenerationRequest
        {
            Prompt = "a red square", Seed = 1, Resolution = 32, Stages = [new StageOptions { Steps = 2 }, new StageOptions { Steps = 2 }],
        });
        Assert.Equal(32, result.Stages[^1].Images.shape[^1]);
    }

    [Fact]
    public void Eval_csv_holds_the_retrieval_t2i_eval_measures_on_the_exported_weights()
    {
        var options = _setup.Options(steps: 4) with { EvalEvery = 2, EvalCount = 3 };
        using (var trainer = Trainer("eval", options)) trainer.Train();
        var run = _setup.Run("eval");
        var csv = File.ReadAllLines(Path.Combine(run, "eval.csv"));
        Assert.Equal("step,samples,train_seconds,sampler,count,top1,top5,top1_chance,top5_chance", csv[0]);
        Assert.Equal(["2", "4"], csv.Skip(1).Select(l => l.Split(',')[0]));
        var last = csv[^1].Split(',');
        Assert.Equal(("3", "0.2500"), (last[4], last[7]));                        // 3 captions; chance of top-1 among 4 images

        // The same measurement of the exported weights by t2i eval: the same captions, seeds and nearest images.
        StageTrainer.Export(run, options, ScalarType.Float32);
        using var model = ModelFolder.Load(_setup.Model, ComputeTarget.Cpu);
        var settings = new EvalSettings { ModelFolder = _setup.Model, DataFolder = _setup.Data(16), Count = 3, Samplers = SamplerRun.Parse(last[3]) };
        var expected = new ModelEvaluator(model, settings).Run().Retrieval[0];
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "eval", "step-0000004.json")));
        var items = json.RootElement.GetProperty("retrieval")[0].GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(expected.Items.Select(i => i.Caption), items.Select(i => i.GetProperty("caption").GetString()));
        Assert.Equal(expected.Items.Select(i => string.Join(" ", i.Nearest)),
            items.Select(i => string.Join(" ", i.GetProperty("nearest").EnumerateArray().Select(n => n.GetInt32()))));
        Assert.Equal(expected.Top1.Rate.ToString("F4", CultureInfo.InvariantCulture), last[5]);

        // Resuming forgets measurements past the checkpoint, as loss.csv does.
        File.AppendAllLines(Path.Combine(run, "eval.csv"), ["6,24,1.0,dpmpp-2m:2,3,1,1,0.25,1"]);
        using var resumed = Trainer("eval", options with { MaxSteps = 6 });
        Assert.Equal(3, File.ReadAllLines(Path.Combine(run, "eval.csv")).Length);
    }

    [Fact]
    public void Held_out_prompts_are_measured_beside_the_captions_as_t2i_eval_prompts_measures_them()
    {
        var prompts = Path.Combine(_setup.Data(16), "held-out.jsonl");
        File.WriteAllLines(prompts,
        [
            """{"file_name": "2.png", "text": "something blue"}""",
            """{"file_name": "0.png", "text": "a crimson block"}""",
            """{"file_name": "3.png", "text": "a lemon tile"}""",
        ]);
        var options = _setup.Options(steps: 2) with { EvalEvery = 2, EvalCount = 2, EvalPrompts = prompts };
        var messages = new List<string>();
        using (var trainer = Trainer("held-out", options)) trainer.Train(p => { if (p.Message is { } m) messages.Add(m); });
        var run = _setup.Run("held-out");
        var csv = File.ReadAllLines(StageMetric.HeldOutPathIn(run));
        Assert.Equal(File.ReadAllLines(StageMetric.PathIn(run))[0], csv[0]);    // the columns of eval.csv
        var fields = csv[1].Split(',');
        Assert.Equal(("2", "2"), (fields[0], fields[4]));                         // step 2, the first two prompts
        Assert.Contains($"eval-prompts.csv: {csv[1]}", messages);

        // t2i eval --prompts on the exported weights: the same prompts, rows, seeds and nearest images.
        StageTrainer.Export(run, options, ScalarType.Float32);
        using var model = ModelFolder.Load(_setup.Model, ComputeTarget.Cpu);
        var settings = new EvalSettings
        {
            ModelFolder = _setup.Model, DataFolder = _setup.Data(16), Count = 2, Samplers = SamplerRun.Parse(fields[3]), PromptsFile = prompts,
        };
        var expected = new ModelEvaluator(model, settings).Run().Retrieval[0];
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "eval", "step-0000002-prompts.json")));
        Assert.Equal(prompts, json.RootElement.GetProperty("prompts").GetString());
        var items = json.RootElement.GetProperty("retrieval")[0].GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["something blue", "a crimson block"], items.Select(i => i.GetProperty("caption").GetString()));
        Assert.Equal([2, 0], items.Select(i => i.GetProperty("row").GetInt32()));
        Assert.Equal(expected.Items.Select(i => string.Join(" ", i.Nearest)),
            items.Select(i => string.Join(" ", i.GetProperty("nearest").EnumerateArray().Select(n => n.GetInt32()))));
        Assert.Equal(expected.Top5.Rate.ToString("F4", CultureInfo.InvariantCulture), fields[6]);

        // Resumed without them, the run still forgets their lines past the checkpoint.
        File.AppendAllLines(StageMetric.HeldOutPathIn(run), ["4,16,1.0,dpmpp-2m:2,2,1,1,0.25,1"]);
        using var resumed = Trainer("held-out", options with { MaxSteps = 4, EvalPrompts = null });
        Assert.Equal(2, File.ReadAllLines(StageMetric.HeldOutPathIn(run)).Length);
    }

    [Fact]
    public void A_super_resolution_run_measures_psnr_and_ssim_next_to_bicubic()
    {
        var options = _setup.Options("sr_32", steps: 2) with { EvalEvery = 2, EvalCount = 2, Objective = "v_prediction" };
        using (var trainer = Trainer("sr-eval", options)) trainer.Train();
        var csv = File.ReadAllLines(Path.Combine(_setup.Run("sr-eval"), "eval.csv"));
        Assert.Equal("step,samples,train_seconds,sampler,count,psnr,ssim,bicubic_psnr,bicubic_ssim", csv[0]);
        var fields = csv[1].Split(',');
        Assert.Equal(("2", "2"), (fields[0], fields[4]));
        var (psnr, bicubic) = (double.Parse(fields[5], CultureInfo.InvariantCulture), double.Parse(fields[7], CultureInfo.InvariantCulture));
        Assert.InRange(psnr, 1, 99);
        Assert.True(bicubic > psnr, $"a 2-step random network ({psnr} dB) should not beat bicubic ({bicubic} dB) on flat squares");
    }

    [Fact]
    public void The_learning_rate_warms_up_holds_then_cools_down_linearly_to_zero_by_the_last_step()
    {
        var options = _setup.Options(steps: 10) with { LearningRate = 1e-3, WarmupSteps = 2, CooldownSteps = 4 };
        double[] expected = [0.5e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 0.75e-3, 0.5e-3, 0.25e-3];
        Assert.Equal(expected, Enumerable.Range(0, 10).Select(step => options.LearningRateAt(step)), (a, b) => Math.Abs(a - b) < 1e-12);
        // Without a cool-down the rate stays constant however far the run is extended.
        Assert.Equal(1e-3, (options with { CooldownSteps = 0 }).LearningRateAt(9), 12);

        // The trainer steps with it: loss.csv's rate of the last logged step is the cool-down's.
        using var trainer = Trainer("cooldown", options with { LogEvery = 1, CheckpointEvery = 1000 });
        trainer.Train();
        var lastLine = File.ReadAllLines(Path.Combine(_setup.Run("cooldown"), "loss.csv"))[^1].Split(',');
        Assert.Equal(("10", 0.25e-3), (lastLine[0], double.Parse(lastLine[3], CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void Options_training_cannot_run_with_are_refused_by_name()
    {
        Assert.Contains("--cooldown", Assert.Throws<ArgumentException>(() => (_setup.Options(steps: 5) with { CooldownSteps = 6 }).Validate()).Message);
        Assert.Contains("--objective", Assert.Throws<ArgumentException>(() => (_setup.Options() with { Objective = "x0" }).Validate()).Message);
        Assert.Contains("--token-dropout", Assert.Throws<ArgumentException>(() => (_setup.Options() with { TokenDropout = 1 }).Validate()).Message);
        Assert.Contains("--text-noise", Assert.Throws<ArgumentException>(() => (_setup.Options() with { TextNoise = -0.1 }).Validate()).Message);
        Assert.Contains("--batch-size", Assert.Throws<ArgumentException>(() => (_setup.Options() with { BatchSize = 0 }).Validate()).Message);
        Assert.Contains("intervals", Assert.Throws<ArgumentException>(() => (_setup.Options() with { KeepEvery = 0 }).Validate()).Message);
        Assert.Contains("no stage 'sr_99'", Assert.Throws<ArgumentException>(() => Trainer("bad", _setup.Options("sr_99"))).Message);
        var prompts = Path.Combine(_setup.Data(32), "held-out.jsonl");
        File.WriteAllLines(prompts, ["""{"file_name": "1.png", "text": "something green"}"""]);
        Assert.Contains("--eval-every", Assert.Throws<ArgumentException>(() => (_setup.Options() with { EvalPrompts = prompts }).Validate()).Message);
        Assert.Contains("super-resolution", Assert.Throws<ArgumentException>(() =>
            Trainer("bad", _setup.Options("sr_32") with { EvalEvery = 1, EvalPrompts = prompts })).Message);
        // A prompt naming no image of the data is refused before the run folder holds anything.
        File.WriteAllLines(prompts, ["""{"file_name": "9.png", "text": "something purple"}"""]);
        Assert.Contains("9.png", Assert.Throws<InvalidDataException>(() =>
            Trainer("bad-prompts", _setup.Options() with { EvalEvery = 1, EvalPrompts = prompts })).Message);
        Assert.False(Directory.Exists(_setup.Run("bad-prompts")));
    }
}
