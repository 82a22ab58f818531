using SixLabors.ImageSharp;
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
        // Decoded once with its alpha: the stored picture drops it, the mask may come from it.
        using var picture = UploadedImages.Decode<Rgba32>(await FormFiles.ReadAsync(image, "image", limits, cancellation), "image", limits);
        byte[] imagePng;
        using (var opaque = picture.CloneAs<Rgb24>()) imagePng = UploadedImages.Png(opaque);
        if (mask is null) return new UploadedInputs(imagePng, Convert(picture, onlyIfAny: true));
        using var maskImage = UploadedImages.Decode<Rgba32>(await FormFiles.ReadAsync(mask, "mask", limits, cancellation), "mask", limits);
        if ((maskImage.Width, maskImage.Height) != (picture.Width, picture.Height))
            throw new UploadRejectedException(UploadedImages.Invalid, "mask",
                $"The mask is {maskImage.Width}x{maskImage.Height} pixels but the image is {picture.Width}x{picture.Height}.");
        return new UploadedInputs(imagePng, Convert(maskImage, onlyIfAny: false));
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
        return onlyIfAny && !any ? null : UploadedImages.Png(mask);
    }
}
