using TextToImage.Diffusion.Text;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Pipelines;

/// <summary>A stage that ran, with the settings it ran with (defaults and job-wide options resolved).</summary>
public sealed record StageRun(int StageIndex, CascadeStage Stage, StageSettings Settings);

/// <summary>
/// The images one stage produced: [N, 3, H, W] in [-1, 1], float32, on the CPU, and
/// <see cref="Ran"/>: every stage run to make them, this one last (an upscale's starts at its
/// first super-resolution stage: no base stage ran). <see cref="DrawnAs"/>: the vocabulary caption drawn
/// instead of the prompt, when the model has a vocabulary and the prompt is not empty.
/// </summary>
public sealed class StageResult(int stageIndex, string stageName, Tensor images, TimeSpan elapsed, IReadOnlyList<StageRun> ran,
    PromptMatch? drawnAs = null) : IDisposable
{
    public PromptMatch? DrawnAs { get; } = drawnAs;
    public int StageIndex { get; } = stageIndex;
    public string StageName { get; } = stageName;
    public Tensor Images { get; } = images;
    public int Resolution => (int)Images.shape[^1];
    public TimeSpan Elapsed { get; } = elapsed;
    public IReadOnlyList<StageRun> Ran { get; } = ran;

    public void Dispose() => Images.Dispose();
}

/// <summary>Every stage's images, in order; the last are the final output. Owns them.</summary>
public sealed class GenerationResult(IReadOnlyList<StageResult> stages) : IDisposable
{
    public IReadOnlyList<StageResult> Stages { get; } = stages;
    public StageResult Final => Stages[^1];

    public void Dispose()
    {
        foreach (var stage in Stages) stage.Dispose();
    }
}
