using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Networks;
using TextToImage.Diffusion.Pipelines;
using TextToImage.Diffusion.Text;
using static TorchSharp.torch;

namespace TextToImage.Testing;

/// <summary>
/// A tiny random DeepFloyd IF cascade in the published diffusers layout: IF-I-XL-v1.0/ (model_index.json,
/// text_encoder/ as sharded T5, tokenizer/, unet/ as the fp16 variant, scheduler/) and IF-II-L-v1.0/ (unet/,
/// scheduler/, image_noising_scheduler/), with the small cascade file a user writes beside them (README,
/// "Running DeepFloyd IF"). The T5 is the Diffusion tests' 32-wide parity fixture; the U-Nets are IF-shaped
/// tiny ones with learned variance (6 output channels), 16 px then 32 px.
/// </summary>
public static class TinyDeepFloyd
{
    public const string Name = "deepfloyd-if";

    // The cascade file of the README.
    public const string CascadeFile = """
        {
          "name": "deepfloyd-if",
          "text_encoder": "IF-I-XL-v1.0/text_encoder",
          "stages": [
            { "name": "I", "kind": "base", "folder": "IF-I-XL-v1.0/unet", "scheduler": "IF-I-XL-v1.0/scheduler",
              "use_text_mask": false, "defaults": { "sampler": "ddpm", "steps": 100, "guidance_scale": 7 } },
            { "name": "II", "kind": "super_resolution", "folder": "IF-II-L-v1.0/unet", "scheduler": "IF-II-L-v1.0/scheduler",
              "noising_scheduler": "IF-II-L-v1.0/image_noising_scheduler",
              "use_text_mask": false, "defaults": { "sampler": "ddpm", "steps": 50, "guidance_scale": 4, "noise_level": 250 } }
          ]
        }
        """;

    // IF-I-XL-v1.0/scheduler/scheduler_config.json as published (IF-II-L's differs in sample_max_value: 1.0).
    public const string StageOneScheduler = """
        { "_class_name": "DDPMScheduler", "_diffusers_version": "0.16.0", "beta_end": 0.02, "beta_schedule": "squaredcos_cap_v2",
          "beta_start": 0.0001, "clip_sample": true, "clip_sample_range": 1.0, "dynamic_thresholding_ratio": 0.95,
          "num_train_timesteps": 1000, "prediction_type": "epsilon", "sample_max_value": 1.5, "thresholding": true,
          "trained_betas": null, "variance_type": "learned_range" }
        """;

    public static string StageTwoScheduler => StageOneScheduler.Replace("\"sample_max_value\": 1.5", "\"sample_max_value\": 1.0");

    /// <summary>Writes the two pipeline folders and the cascade file into <paramref name="folder"/>.</summary>
    public static void Create(string folder, int seed = 3)
    {
        manual_seed(seed);
        WritePipeline(Path.Combine(folder, "IF-I-XL-v1.0"), "IFPipeline", UNetPresets.Tiny(16, 32) with { OutChannels = 6 }, StageOneScheduler, withTextEncoder: true);
        WritePipeline(Path.Combine(folder, "IF-II-L-v1.0"), "IFSuperResolutionPipeline", UNetPresets.Tiny(32, 32, superResolution: true) with { OutChannels = 6 },
            StageTwoScheduler, withTextEncoder: false);
        File.WriteAllText(Path.Combine(folder, ModelIndex.FileName), CascadeFile);
    }

    static void WritePipeline(string folder, string className, UNet2DConditionConfig unet, string scheduler, bool withTextEncoder)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "model_index.json"), $$"""
            { "_class_name": "{{className}}", "_diffusers_version": "0.16.0", "feature_extractor": [null, null], "safety_checker": [null, null],
              "watermarker": [null, null], "scheduler": ["diffusers", "DDPMScheduler"], "unet": ["diffusers", "UNet2DConditionModel"],
              "text_encoder": ["transformers", "T5EncoderModel"], "tokenizer": ["transformers", "T5Tokenizer"] }
            """);
        var parts = className == "IFSuperResolutionPipeline" ? new[] { "scheduler", "image_noising_scheduler" } : ["scheduler"];
        foreach (var part in parts)
        {
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
        var fixtures = Path.Combine(AppContext.BaseDirectory, "DeepFloyd");
        var textEncoder = Directory.CreateDirectory(Path.Combine(folder, "text_encoder")).FullName;
        foreach (var file in Directory.EnumerateFiles(Path.Combine(fixtures, "text_encoder")))
            File.Copy(file, Path.Combine(textEncoder, Path.GetFileName(file)));
        var tokenizer = Directory.CreateDirectory(Path.Combine(folder, "tokenizer")).FullName;
        File.Copy(Path.Combine(fixtures, T5TextEncoder.TokenizerModelFile), Path.Combine(tokenizer, T5TextEncoder.TokenizerModelFile));
    }
}
