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
/// A tiny random DeepFloyd IF cascade in the published diffusers layout (<see cref="TinyDeepFloyd"/>) loads through
/// a small cascade file beside the two pipeline folders and runs end to end.
/// </summary>
public sealed class DeepFloydLayoutTests
{
    [Fact]
    public void The_two_pipeline_folders_load_as_one_cascade_and_generate()
    {
        using var temp = new TempFolder();
        TinyDeepFloyd.Create(temp.Path);

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
    public void Stage_II_noises_its_low_resolution_input_with_the_image_noising_scheduler()
    {
        using var temp = new TempFolder();
        TinyDeepFloyd.Create(temp.Path);
        // A schedule unlike the stage's own cosine one, to see which is read.
        var noising = Path.Combine(temp.Path, "IF-II-L-v1.0", "image_noising_scheduler", ModelFolder.SchedulerConfigFile);
        File.WriteAllText(noising, TinyDeepFloyd.StageTwoScheduler.Replace("\"squaredcos_cap_v2\"", "\"linear\""));

        using var model = ModelFolder.Load(temp.Path, ComputeTarget.Cpu);
        Assert.Null(model.Stages[0].AugmentationSchedule);
        var expected = SchedulerConfig.Load(noising).CreateNoiseSchedule().Betas;
        Assert.Equal(expected, model.Stages[1].AugmentationSchedule!.Betas);
        Assert.NotEqual(model.Stages[1].Scheduler.CreateNoiseSchedule().Betas, model.Stages[1].AugmentationSchedule!.Betas);

        // The augmentation follows it: the same draws noised to level 250 under the linear and the cosine schedule differ.
        using var low = zeros(1, 3, 16, 16);
        using var first = new PerSampleNoise([new Generator(1)]);
        using var second = new PerSampleNoise([new Generator(1)]);
        using var linear = StageSampler.AugmentLowResolution(low, 32, 250, model.Stages[1].AugmentationSchedule!, first);
        using var cosine = StageSampler.AugmentLowResolution(low, 32, 250, model.Stages[1].Scheduler.CreateNoiseSchedule(), second);
        Assert.False(linear.allclose(cosine));

        File.Delete(noising);
        Assert.Contains("image_noising_scheduler", Assert.Throws<InvalidDataException>(() => ModelFolder.Load(temp.Path, ComputeTarget.Cpu)).Message);
    }

    [Fact]
    public void A_stage_folder_without_weights_names_what_it_looked_for()
    {
        using var temp = new TempFolder();
        TinyDeepFloyd.Create(temp.Path);
        File.Delete(Path.Combine(temp.Path, "IF-II-L-v1.0", "unet", "diffusion_pytorch_model.fp16.safetensors"));
        var error = Assert.Throws<InvalidDataException>(() => ModelFolder.Load(temp.Path, ComputeTarget.Cpu));
        Assert.Contains("Stage 'II'", error.Message);
        Assert.Contains("diffusion_pytorch_model.safetensors", error.Message);
    }
}
