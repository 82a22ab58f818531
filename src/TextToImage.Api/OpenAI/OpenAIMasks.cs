using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using TextToImage.Api.Infrastructure;
using TextToImage.Service.Jobs;
using TextToImage.Service.Requests;

namespace TextToImage.Api.OpenAI;

/// <summary>
/// OpenAI's edit masks in ours: OpenAI repaints where the mask is transparent (alpha below half), we
/// where ours is white. Without a mask, a picture's own transparency is the mask (as dall-e-2 does); an
/// opaque picture without one is edited as a whole.
/// </summary>
static class OpenAIMasks
{
    public static async Task<UploadedInputs> ReadAsync(IFormFile image, IFormFile? mask, UploadLimits limits, CancellationToken cancellation)
    {
        var imageBytes = await FormFiles.ReadAsync(image, "image", limits, cancellation);
        var (imagePng, width, height) = UploadedImages.NormalisedPng<Rgb24>(imageBytes, "image", limits);
        if (mask is null) return new UploadedInputs(imagePng, RepaintWhereTransparent(imageBytes, "image", limits, onlyIfAny: true));
        using var maskImage = UploadedImages.Decode<Rgba32>(await FormFiles.ReadAsync(mask, "mask", limits, cancellation), "mask", limits);
        if ((maskImage.Width, maskImage.Height) != (width, height))
            throw new UploadRejectedException(UploadedImages.Invalid, "mask", $"The mask is {maskImage.Width}x{maskImage.Height} pixels but the image is {width}x{height}.");
        return new UploadedInputs(imagePng, Convert(maskImage, onlyIfAny: false));
    }

    static byte[]? RepaintWhereTransparent(byte[] bytes, string field, UploadLimits limits, bool onlyIfAny)
    {
        using var picture = UploadedImages.Decode<Rgba32>(bytes, field, limits);
        return Convert(picture, onlyIfAny);
    }

    /// <summary>Our mask (white: repaint) from the alpha channel; null when <paramref name="onlyIfAny"/> and nothing is transparent.</summary>
    static byte[]? Convert(Image<Rgba32> picture, bool onlyIfAny)
    {
        using var mask = new Image<L8>(picture.Width, picture.Height);
        var any = false;
        picture.ProcessPixelRows(mask, (source, target) =>
        {
            for (var y = 0; y < source.Height; y++)
            {
                var from = source.GetRowSpan(y);
                var to = target.GetRowSpan(y);
                for (var x = 0; x < from.Length; x++)
                {
                    var repaint = from[x].A < 128;
                    any |= repaint;
                    to[x] = new L8(repaint ? (byte)255 : (byte)0);
                }
            }
        });
        if (onlyIfAny && !any) return null;
        using var png = new MemoryStream();
        mask.Save(png, new PngEncoder());
        return png.ToArray();
    }
}
