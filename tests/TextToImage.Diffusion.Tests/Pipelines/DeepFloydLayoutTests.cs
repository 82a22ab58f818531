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
