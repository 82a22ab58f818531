using TextToImage.Diffusion.Pipelines;

namespace TextToImage.Service.Models;

/// <summary>
/// What a model folder says about itself, read without loading any weights (no libtorch needed).
/// <paramref name="PromptVocabulary"/>: whether it draws each prompt as the nearest of its training subjects.
/// </summary>
public sealed record ModelInfo(string Name, string Folder, string? License, string? Description, string TextEncoder, IReadOnlyList<StageInfo> Stages,
    bool PromptVocabulary = false)
{
    public IReadOnlyList<int> Resolutions => Stages.Select(s => s.Resolution).ToList();

    /// <summary>The base stage's defaults: what a request's steps, sampler and guidance fall back to.</summary>
    public StageDefaults BaseDefaults => Stages[0].Defaults;

    public int BaseTrainTimesteps => Stages[0].TrainTimesteps;
}

public sealed record StageInfo(string Name, StageKind Kind, int Resolution, int TrainTimesteps, StageDefaults Defaults);
