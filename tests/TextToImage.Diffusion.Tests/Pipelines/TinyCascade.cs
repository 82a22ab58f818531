using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Pipelines;

namespace TextToImage.Diffusion.Tests.Pipelines;

/// <summary>The "tiny" random cascade (16 px base, SR to 32 and 64 px), written once and loaded on the CPU.</summary>
public sealed class TinyCascade : IDisposable
{
    readonly TempFolder _folder = new();

    public TinyCascade()
    {
        Folder = System.IO.Path.Combine(_folder.Path, "tiny");
        RandomCascade.Create(Folder, "tiny", seed: 7);
        Model = ModelFolder.Load(Folder, ComputeTarget.Cpu);
        Pipeline = new CascadePipeline(Model);
    }

    public string Folder { get; }
    public CascadeModel Model { get; }
    public CascadePipeline Pipeline { get; }

    /// <summary>A quick request: few steps per stage so tests stay short.</summary>
    public static GenerationRequest Request(string prompt = "a red apple", int numImages = 1, long seed = 42, int? resolution = null,
        string sampler = "ddpm") => new()
    {
        Prompt = prompt,
        NumImages = numImages,
        Seed = seed,
        Resolution = resolution,
        Stages =
        [
            new StageOptions { Steps = 4, Sampler = sampler, GuidanceScale = 3 },
            new StageOptions { Steps = 3, Sampler = "ddpm", GuidanceScale = 2 },
            new StageOptions { Steps = 2, Sampler = "dpmpp-2m" },
        ],
    };

    public void Dispose()
    {
        Model.Dispose();
        _folder.Dispose();
    }
}
