using TextToImage.Diffusion.IO;

namespace TextToImage.Diffusion.Pipelines;

/// <summary>
/// Super-resolution of a user's picture: the cascade's super-resolution stages, from the first one
/// up to the requested resolution, on the picture resized to the base stage's resolution.
/// </summary>
public sealed class UpscalePipeline(CascadeModel model)
{
    public CascadeModel Model { get; } = model;

    public GenerationResult Upscale(UpscaleRequest request, Action<GenerationProgress>? progress = null,
        Action<StageResult>? stageCompleted = null, CancellationToken cancellation = default)
    {
        if (Model.Stages.Count < 2) throw new InvalidGenerationRequestException($"Model '{Model.Name}' has no super-resolution stage.");
        var generation = request.Generation;
        if (request.NoiseLevel is { } level)
        {
            var stages = Enumerable.Range(0, Model.Stages.Count)
                .Select(i => i == 0 ? generation.OptionsFor(0) : (generation.OptionsFor(i) ?? new StageOptions()) with { NoiseLevel = level })
                .ToList();
            generation = generation with { Stages = stages };
        }
        using var input = StageImages.Resize(request.Image, Model.Stages[0].Resolution);
        using var lowResolution = ImageTensors.FromImage(input);
        return new CascadePipeline(Model).Run(generation, firstStage: 1, lowResolution, guides: null, progress, stageCompleted, cancellation);
    }
}
