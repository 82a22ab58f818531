using System.Globalization;
using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Samplers;

namespace TextToImage.Diffusion.Pipelines;

/// <summary>Encodes a stage's images (PNG, WebP or JPEG) so that they carry their own generation parameters.</summary>
public static class GeneratedImages
{
    /// <summary>The metadata key of the vocabulary caption an image was drawn as (its cosine to the prompt: <c>drawn_as_similarity</c>).</summary>
    public const string DrawnAsKey = "drawn_as";

    /// <summary>
    /// One file per image of <paramref name="stage"/>; image i records seed + i. The sampler, steps and
    /// guidance are those of the first stage that ran (the base stage, or an upscale's first
    /// super-resolution stage), and <c>stage_N</c> entries describe every stage that ran.
    /// <c>drawn_as</c> names the vocabulary caption drawn instead of the prompt, if any.
    /// <paramref name="job"/> adds what the kind of job chose (an edit's strength and mask, an upscale's noise level).
    /// </summary>
    public static IReadOnlyList<byte[]> Encode(StageResult stage, GenerationRequest request, CascadeModel model,
        IReadOnlyDictionary<string, string>? job = null, ImageEncoding? encoding = null)
    {
        var first = stage.Ran[0].Settings;
        var extra = StageSummary(stage.Ran);
        extra["sampling"] = request.Sampling == SamplingMode.PerImage ? "per-image" : "batched";
        if (stage.DrawnAs is { } drawn)
        {
            extra[DrawnAsKey] = drawn.Caption;
            extra[DrawnAsKey + "_similarity"] = drawn.Similarity.ToString("F3", CultureInfo.InvariantCulture);
        }
        foreach (var (key, value) in job ?? new Dictionary<string, string>()) extra[key] = value;
        var images = ImageTensors.ToImages(stage.Images);
        try
        {
            return images.Select((image, i) => ImageOutput.Encode(image, new GenerationMetadata(
                request.Prompt, request.NegativePrompt, request.Seed + i, first.Steps,
                SchedulerFactory.SamplerName(first.Sampler), first.GuidanceScale, model.Name,
                image.Width, image.Height, extra), encoding ?? ImageEncoding.Png)).ToList();
        }
        finally
        {
            foreach (var image in images) image.Dispose();
        }
    }

    /// <summary>Every stage's effective settings, so the super-resolution choices are on record too.</summary>
    static Dictionary<string, string> StageSummary(IReadOnlyList<StageRun> ran) =>
        ran.ToDictionary(run => $"stage_{run.StageIndex}", run =>
        {
            var text = FormattableString.Invariant(
                $"{run.Stage.Name}: {SchedulerFactory.SamplerName(run.Settings.Sampler)}, {run.Settings.Steps} steps, guidance {run.Settings.GuidanceScale}");
            return run.Stage.Kind == StageKind.SuperResolution
                ? text + string.Create(CultureInfo.InvariantCulture, $", noise level {run.Settings.NoiseLevel}")
                : text;
        });
}
