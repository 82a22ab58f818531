using System.Globalization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace TextToImage.Diffusion.IO;

/// <summary>
/// Encodes generated images as PNG with their <see cref="GenerationMetadata"/>: one text chunk per
/// field ("prompt", "negative_prompt", "seed", "steps", "sampler", "guidance_scale", "model",
/// "width", "height") for people and simple tools, and "parameters" holding all of it as JSON,
/// which is what <see cref="ImageOutput.ReadMetadata"/> reads back. ImageSharp writes a value as tEXt when it
/// is Latin-1 and as UTF-8 iTXt otherwise, so emoji and CJK prompts survive.
/// </summary>
public static class PngOutput
{
    public const string ParametersKey = "parameters";

    // Fixed settings so the bytes depend only on pixels and metadata; text stays uncompressed so
    // tools that only understand tEXt/iTXt without zlib can still read long prompts.
    static readonly PngEncoder Encoder = new()
    {
        ColorType = PngColorType.Rgb,
        BitDepth = PngBitDepth.Bit8,
        CompressionLevel = PngCompressionLevel.DefaultCompression,
        FilterMethod = PngFilterMethod.Adaptive,
        InterlaceMethod = PngInterlaceMode.None,
        TextCompressionThreshold = int.MaxValue,
    };

    /// <summary>The PNG bytes of <paramref name="image"/> carrying <paramref name="metadata"/>; the same input always gives the same bytes.</summary>
    public static byte[] Encode(Image<Rgb24> image, GenerationMetadata metadata)
    {
        using var copy = PixelCopy(image, metadata);
        var text = copy.Metadata.GetPngMetadata().TextData;
        foreach (var (key, value) in Fields(metadata))
            text.Add(new PngTextData(key, value, "", ""));

        using var output = new MemoryStream();
        copy.SaveAsPng(output, Encoder);
        return output.ToArray();
    }

    /// <summary>
    /// A pixel-only copy to encode: the caller's image stays unchanged, and whatever metadata it
    /// carried (old text chunks, EXIF, ICC) cannot leak in or make the output vary.
    /// </summary>
    internal static Image<Rgb24> PixelCopy(Image<Rgb24> image, GenerationMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(metadata);
        if (!double.IsFinite(metadata.GuidanceScale))
            throw new ArgumentException($"Guidance scale {metadata.GuidanceScale} is not a finite number.", nameof(metadata));
        var copy = new Image<Rgb24>(image.Width, image.Height);
        image.ProcessPixelRows(copy, (source, target) =>
        {
            for (var y = 0; y < source.Height; y++) source.GetRowSpan(y).CopyTo(target.GetRowSpan(y));
        });
        return copy;
    }

    /// <summary>The metadata of a PNG's text chunks as <see cref="Encode"/> wrote them; null without.</summary>
    internal static GenerationMetadata? Read(PngMetadata png)
    {
        foreach (var chunk in png.TextData)
        {
            if (chunk.Keyword == ParametersKey && GenerationMetadataJson.TryRead(chunk.Value) is { } metadata)
                return metadata;
        }
        return null;
    }

    static IEnumerable<(string Key, string Value)> Fields(GenerationMetadata metadata)
    {
        var invariant = CultureInfo.InvariantCulture;
        yield return ("prompt", metadata.Prompt);
        if (metadata.NegativePrompt is not null) yield return ("negative_prompt", metadata.NegativePrompt);
        yield return ("seed", metadata.Seed.ToString(invariant));
        yield return ("steps", metadata.Steps.ToString(invariant));
        yield return ("sampler", metadata.Sampler);
        yield return ("guidance_scale", metadata.GuidanceScale.ToString("R", invariant));
        yield return ("model", metadata.Model);
        yield return ("width", metadata.Width.ToString(invariant));
        yield return ("height", metadata.Height.ToString(invariant));
        yield return (ParametersKey, GenerationMetadataJson.Write(metadata));
    }
}
