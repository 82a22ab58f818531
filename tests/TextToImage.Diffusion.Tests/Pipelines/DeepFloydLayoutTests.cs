using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Networks;
using TextToImage.Diffusion.Pipelines;
using TextToImage.Diffusion.Samplers;
using TextToImage.Diffusion.Tests.Text;
using TextToImage.Diffusion.Text;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Tests.Pipelines;

/// <summary>
/// A tiny random DeepFloyd IF cascade in the published diffusers layout (IF-I-XL-v1.0/ and IF-II-L-v1.0/ with
/// text_encoder/, tokenizer/, unet/, scheduler/; U-Net weights as the fp16 variant, T5 in shards) loads through
/// a small cascade file beside the two pipeline folders and runs end to end.
/// </summary>
public sealed class DeepFloydLayoutTests
{
    // The cascade file a user writes beside the two downloaded folders (README, "Running DeepFloyd IF").
    const string CascadeFile = """
        {
          "name": "deepfloyd-if",
          "text_encoder": "IF-I-XL-v1.0/text_encoder",
          "stages": [
            { "name": "I", "kind": "base", "folder": "IF-I-XL-v1.0/unet", "scheduler": "IF-I-XL-v1.0/scheduler",
              "use_text_mask": false, "defaults": { "sampler": "ddpm", "steps": 100, "guidance_scale": 7 } },
            { "name": "II", "kind": "super_resolution", "folder": "IF-II-L-v1.0/unet", "scheduler": "IF-II-L-v1.0/scheduler",
              "use_text_mask": false, "defaults": { "sampler": "ddpm", "steps": 50, "guidance_scale": 4, "noise_level": 250 } }
          ]
        }
        """;

    // IF-I-XL-v1.0/scheduler/scheduler_config.json as published (IF-II-L's differs in sample_max_value: 1.0).
    const string StageOneScheduler = """
        { "_class_name": "DDPMScheduler", "_diffusers_version": "0.16.0", "beta_end": 0.02, "beta_schedule": "squaredcos_cap_v2",
          "beta_start": 0.0001, "clip_sample": true, "clip_sample_range": 1.0, "dynamic_thresholding_ratio": 0.95,
          "num_train_timesteps": 1000, "prediction_type": "epsilon", "sample_max_value": 1.5, "thresholding": true,
          "trained_betas": null, "variance_type": "learned_range" }
        """;

    static void WritePipeline(string folder, string className, UNet2DConditionConfig unet, string scheduler, bool withTextEncoder)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "model_index.json"), $$"""
            { "_class_name": "{{className}}", "_diffusers_version": "0.16.0", "feature_extractor": [null, null], "safety_checker": [null, null],
              "watermarker": [null, null], "scheduler": ["diffusers", "DDPMScheduler"], "unet": ["diffusers", "UNet2DConditionModel"],
              "text_encoder": ["transformers", "T5EncoderModel"], "tokenizer": ["transformers", "T5Tokenizer"] }
            """);
        foreach (var part in new[] { "scheduler", "image_noising_scheduler" })
        {
            if (part == "image_noising_scheduler" && className != "IFSuperResolutionPipeline") continue;
            Directory.CreateDirectory(Path.Combine(folder, part));
            File.WriteAllText(Path.Combine(folder, part, ModelFolder.SchedulerConfigFile), scheduler);
        }
        var unetFolder = Directory.CreateDirectory(Path.Combine(folder, "unet")).FullName;
        using (var network = new UNet2DConditionModel(unet))
        {
            network.Config.Save(Path.Combine(unetFolder, ModelFolder.NetworkConfigFile));
            StateDictLoader.SaveFrom(network, Path.Combine(unetFolder, "diffusion_pytorch_model.fp16.safetensors"), ScalarType.Float16);
        }
        if (!withTextEncoder) return;
        T5EncoderParityTests.CopyFolder(T5EncoderParityTests.Fixture, Path.Combine(folder, "text_encoder"));
        var tokenizer = Directory.CreateDirectory(Path.Combine(folder, "tokenizer")).FullName;
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Text", "Fixtures", "t5-test-spiece.model"), Path.Combine(tokenizer, T5TextEncoder.TokenizerModelFile));
    }

    [Fact]
    public void The_two_pipeline_folders_load_as_one_cascade_and_generate()
    {
        using var temp = new TempFolder();
        manual_seed(3);
        // Tiny IF-shaped U-Nets over the 32-wide tiny T5: learned variance (6 output channels), as IF's.
        WritePipeline(Path.Combine(temp.Path, "IF-I-XL-v1.0"), "IFPipeline", UNetPresets.Tiny(16, 32) with { OutChannels = 6 }, StageOneScheduler, withTextEncoder: true);
        WritePipeline(Path.Combine(temp.Path, "IF-II-L-v1.0"), "IFSuperResolutionPipeline", UNetPresets.Tiny(32, 32, superResolution: true) with { OutChannels = 6 },
            StageOneScheduler.Replace("\"sample_max_value\": 1.5", "\"sample_max_value\": 1.0"), withTextEncoder: false);
        File.WriteAllText(Path.Combine(temp.Path, ModelIndex.FileName), CascadeFile);

        using var model = ModelFolder.Load(temp.Path, ComputeTarget.Cpu);
        Assert.IsType<T5TextEncoder>(model.TextEncoder is CachedTextEncoder cached ? cached.Inner : model.TextEncoder);
        Assert.Equal([16, 32], model.Resolutions);
        Assert.Equal(1.5, model.Stages[0].Scheduler.SampleMaxValue);    // each stage's own scheduler folder
        Assert.Equal(1.0, model.Stages[1].Scheduler.SampleMaxValue);
        Assert.Equal((100, 7.0), (model.Stages[0].Defaults.Steps, model.Stages[0].Defaults.GuidanceScale));
        Assert.Equal((50, 4.0, 250), (model.Stages[1].Defaults.Steps, model.Stages[1].Defaults.GuidanceScale, model.Stages[1].Defaults.NoiseLevel));

        var pipeline = new CascadePipeline(model);
        using var result = pipeline.Generate(new GenerationRequest
        {
            Prompt = "a photo of a red apple",
            Seed = 5,
            Stages = [new StageOptions { Steps = 3 }, new StageOptions { Steps = 2 }],
        });
        Assert.Equal([1, 3, 32, 32], result.Final.Images.shape);
        Assert.True(result.Final.Images.isfinite().all().item<bool>());
    }

    [Fact]
    public void A_stage_folder_without_weights_names_what_it_looked_for()
    {
        using var temp = new TempFolder();
        WritePipeline(Path.Combine(temp.Path, "IF-I-XL-v1.0"), "IFPipeline", UNetPresets.Tiny(16, 32) with { OutChannels = 6 }, StageOneScheduler, withTextEncoder: true);
        WritePipeline(Path.Combine(temp.Path, "IF-II-L-v1.0"), "IFSuperResolutionPipeline", UNetPresets.Tiny(32, 32, superResolution: true) with { OutChannels = 6 }, StageOneScheduler, withTextEncoder: false);
        File.Delete(Path.Combine(temp.Path, "IF-II-L-v1.0", "unet", "diffusion_pytorch_model.fp16.safetensors"));
        File.WriteAllText(Path.Combine(temp.Path, ModelIndex.FileName), CascadeFile);
        var error = Assert.Throws<InvalidDataException>(() => ModelFolder.Load(temp.Path, ComputeTarget.Cpu));
        Assert.Contains("Stage 'II'", error.Message);
        Assert.Contains("diffusion_pytorch_model.safetensors", error.Message);
    }
}
