using System.Globalization;
using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Samplers;

namespace TextToImage.Diffusion.Pipelines;

/// <summary>Encodes a stage's images as PNGs that carry their own generation parameters.</summary>
public static class GeneratedPngs
{
    /// <summary>One PNG per image of <paramref name="stage"/>; image i records seed + i.</summary>
    public static IReadOnlyList<byte[]> Encode(StageResult stage, GenerationRequest request, CascadeModel model)
    {
        var baseSettings = StageSettings.Resolve(model.Stages[0], request.OptionsFor(0));
        var images = ImageTensors.ToImages(stage.Images);
        try
        {
            return images.Select((image, i) => PngOutput.Encode(image, new GenerationMetadata(
                request.Prompt, request.NegativePrompt, request.Seed + i, baseSettings.Steps,
                SchedulerFactory.SamplerName(baseSettings.Sampler), baseSettings.GuidanceScale, model.Name,
                image.Width, image.Height, StageSummary(request, model, stage.StageIndex)))).ToList();
        }
        finally
        {
            foreach (var image in images) image.Dispose();
        }
    }

    /// <summary>Every stage's effective settings, so the super-resolution choices are on record too.</summary>
    static IReadOnlyDictionary<string, string> StageSummary(GenerationRequest request, CascadeModel model, int lastStage) =>
        Enumerable.Range(0, lastStage + 1).ToDictionary(i => $"stage_{i}", i =>
        {
            var stage = model.Stages[i];
            var s = StageSettings.Resolve(stage, request.OptionsFor(i));
            var text = FormattableString.Invariant($"{stage.Name}: {SchedulerFactory.SamplerName(s.Sampler)}, {s.Steps} steps, guidance {s.GuidanceScale}");
            return stage.Kind == StageKind.SuperResolution
                ? text + string.Create(CultureInfo.InvariantCulture, $", noise level {s.NoiseLevel}")
                : text;
        });
}
