using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Networks;
using TextToImage.Diffusion.Pipelines;
using TextToImage.Diffusion.Samplers;
using TextToImage.Diffusion.Text;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Tests.Pipelines;

/// <summary>A DeepFloyd-IF-shaped cascade: networks predict epsilon and a variance interpolation (6 channels).</summary>
public sealed class LearnedVarianceCascadeTests
{
    [Fact]
    public void Every_sampler_runs_an_IF_style_cascade_and_the_images_have_three_channels()
    {
        using var temp = new TempFolder();
        manual_seed(11);
        // IF's scheduler_config.json values (stage I): learned_range variance, dynamic thresholding.
        var scheduler = SchedulerConfig.Parse("""
            { "_class_name": "DDPMScheduler", "beta_schedule": "squaredcos_cap_v2", "variance_type": "learned_range",
              "thresholding": true, "dynamic_thresholding_ratio": 0.95, "sample_max_value": 1.5, "clip_sample": true,
              "clip_sample_range": 1.0, "prediction_type": "epsilon", "num_train_timesteps": 1000 }
            """);
        using var baseNet = new UNet2DConditionModel(UNetPresets.Tiny(16, 32) with { OutChannels = 6 });
        using var srNet = new UNet2DConditionModel(UNetPresets.Tiny(32, 32, superResolution: true) with { OutChannels = 6 });
        var index = new ModelIndex
        {
            Name = "if-shaped",
            Stages =
            [
                new StageEntry { Name = "I", Folder = "stage_1", Kind = StageKind.Base },
                new StageEntry { Name = "II", Folder = "stage_2", Kind = StageKind.SuperResolution },
            ],
        };
        ModelFolder.Save(temp.Path, index, new TextEncoderConfig { Type = HashedTokenTextEncoder.TypeName, EmbeddingDim = 32, MaxTokens = 8 },
            [(baseNet, scheduler), (srNet, scheduler)]);
        using var model = ModelFolder.Load(temp.Path, ComputeTarget.Cpu);
        var pipeline = new CascadePipeline(model);

        foreach (var sampler in SchedulerFactory.SamplerNames)
        {
            using var result = pipeline.Generate(new GenerationRequest
            {
                Prompt = "a cat",
                Seed = 1,
                Stages = [new StageOptions { Sampler = sampler, Steps = 3, GuidanceScale = 7 }, new StageOptions { Sampler = sampler, Steps = 2, GuidanceScale = 4 }],
            });
            Assert.Equal([1, 3, 16, 16], result.Stages[0].Images.shape);
            Assert.Equal([1, 3, 32, 32], result.Final.Images.shape);
            Assert.True(result.Final.Images.isfinite().all().item<bool>(), sampler);
        }
    }
}
