using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace TextToImage.Diffusion.IO;

/// <summary>
/// Writes generated images in the asked format with their <see cref="GenerationMetadata"/> (PNG: text
/// chunks, see <see cref="PngOutput"/>; WebP and JPEG: XMP, see <see cref="XmpMetadata"/>), and reads it back.
/// The same pixels, metadata and encoding always give the same bytes.
/// </summary>
public static class ImageOutput
{
    public static byte[] Encode(Image<Rgb24> image, GenerationMetadata metadata, ImageEncoding encoding)
    {
        ArgumentNullException.ThrowIfNull(encoding);
        if (encoding.Format == OutputFormat.Png) return PngOutput.Encode(image, metadata);
        if (encoding.Quality is < ImageEncoding.MinQuality or > ImageEncoding.MaxQuality)
            throw new ArgumentOutOfRangeException(nameof(encoding), encoding.Quality, $"Quality must be between {ImageEncoding.MinQuality} and {ImageEncoding.MaxQuality}.");

        using var copy = PngOutput.PixelCopy(image, metadata);
        copy.Metadata.XmpProfile = XmpMetadata.Write(metadata);
        using var output = new MemoryStream();
        if (encoding.Format == OutputFormat.Webp)
            copy.SaveAsWebp(output, new WebpEncoder { FileFormat = WebpFileFormatType.Lossy, Quality = encoding.Quality, Method = WebpEncodingMethod.Default });
        else
            copy.SaveAsJpeg(output, new JpegEncoder { Quality = encoding.Quality, ColorType = JpegColorType.YCbCrRatio420 });
        return output.ToArray();
    }

    /// <summary>
    /// The metadata written by <see cref="Encode"/> in any of its formats, or null for an image
    /// without it (including other tools' images). Pixels are not decoded.
    /// Throws <see cref="InvalidDataException"/> when the stream is not a readable image.
    /// </summary>
    public static GenerationMetadata? ReadMetadata(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        IImageInfo? info;
        IImageFormat? format;
        try
        {
            info = Image.Identify(stream, out format);
        }
        catch (ImageFormatException e)
        {
            throw new InvalidDataException($"Not a readable image: {e.Message}", e);
        }
        if (info is null) throw new InvalidDataException("Not a readable image: its format is not recognised.");
        return format switch
        {
            PngFormat => PngOutput.Read(info.Metadata.GetPngMetadata()),
            WebpFormat or JpegFormat => XmpMetadata.Read(info.Metadata.XmpProfile),
            _ => null,
        };
    }
}
