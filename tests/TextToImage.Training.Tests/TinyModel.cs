using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Pipelines;

namespace TextToImage.Training.Tests;

/// <summary>The "tiny" random cascade (16 px base, SR to 32 and 64 px, hashed text), written once and loaded on the CPU.</summary>
public sealed class TinyModel : IDisposable
{
    readonly TempFolder _folder = new();

    public TinyModel()
    {
        Folder = System.IO.Path.Combine(_folder.Path, "tiny");
        RandomCascade.Create(Folder, "tiny", seed: 7);
        Model = ModelFolder.Load(Folder, ComputeTarget.Cpu);
    }

    public string Folder { get; }
    public CascadeModel Model { get; }

    public void Dispose()
    {
        Model.Dispose();
        _folder.Dispose();
    }
}
