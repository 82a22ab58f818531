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
        var settings = Enumerable.Range(0, stage.StageIndex + 1).Select(i => StageSettings.Resolve(model.Stages[i], request.OptionsFor(i))).ToList();
        var baseSettings = settings[0];
        var summary = StageSummary(model, settings);
        var images = ImageTensors.ToImages(stage.Images);
        try
        {
            return images.Select((image, i) => PngOutput.Encode(image, new GenerationMetadata(
                request.Prompt, request.NegativePrompt, request.Seed + i, baseSettings.Steps,
                SchedulerFactory.SamplerName(baseSettings.Sampler), baseSettings.GuidanceScale, model.Name,
                image.Width, image.Height, summary))).ToList();
        }
        finally
        {
            foreach (var image in images) image.Dispose();
        }
    }

    /// <summary>Every stage's effective settings, so the super-resolution choices are on record too.</summary>
    static IReadOnlyDictionary<string, string> StageSummary(CascadeModel model, IReadOnlyList<StageSettings> settings) =>
        settings.Select((s, i) => (Key: $"stage_{i}", Stage: model.Stages[i], Settings: s)).ToDictionary(e => e.Key, e =>
        {
            var text = FormattableString.Invariant(
                $"{e.Stage.Name}: {SchedulerFactory.SamplerName(e.Settings.Sampler)}, {e.Settings.Steps} steps, guidance {e.Settings.GuidanceScale}");
            return e.Stage.Kind == StageKind.SuperResolution
                ? text + string.Create(CultureInfo.InvariantCulture, $", noise level {e.Settings.NoiseLevel}")
                : text;
        });
}
