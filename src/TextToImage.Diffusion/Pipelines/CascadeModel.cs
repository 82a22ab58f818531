using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Networks;
using TextToImage.Diffusion.Samplers;
using TextToImage.Diffusion.Text;

namespace TextToImage.Diffusion.Pipelines;

/// <summary>A loaded cascade: the text encoder and its stages, base first. Owns them.</summary>
public sealed class CascadeModel(string name, ITextEncoder textEncoder, IReadOnlyList<CascadeStage> stages, ComputeTarget target)
    : IDisposable
{
    public string Name { get; } = name;
    public ITextEncoder TextEncoder { get; } = textEncoder;
    public IReadOnlyList<CascadeStage> Stages { get; } = stages.Count > 0 && stages[0].Kind == StageKind.Base
        && stages.Skip(1).All(s => s.Kind == StageKind.SuperResolution)
        ? stages
        : throw new InvalidDataException("A cascade is one base stage followed by super-resolution stages.");
    public ComputeTarget Target { get; } = target;

    /// <summary>The output resolution of each stage, in order.</summary>
    public IReadOnlyList<int> Resolutions => Stages.Select(s => s.Resolution).ToList();

    public void Dispose()
    {
        TextEncoder.Dispose();
        foreach (var stage in Stages) stage.Network.Dispose();
    }
}

/// <summary>One stage: its network, the scheduler configuration it was trained with, and its defaults.</summary>
public sealed record CascadeStage(string Name, StageKind Kind, UNet2DConditionModel Network, SchedulerConfig Scheduler, StageDefaults Defaults)
{
    public int Resolution => Network.Config.SampleSize
        ?? throw new InvalidDataException($"Stage '{Name}' has no sample_size in its config.");

    /// <summary>Image channels sampled; a network with learned variance outputs twice as many.</summary>
    public int ImageChannels => Kind == StageKind.SuperResolution ? Network.Config.InChannels / 2 : Network.Config.InChannels;
}
