using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TextToImage.Service.Jobs;

namespace TextToImage.Service.Models;

/// <summary>
/// An edit's or upscale's stored inputs, decoded for the engine. They were validated and normalised
/// to PNG when uploaded, so a failure here means the stored blob is not what was written.
/// </summary>
sealed class JobPictures : IDisposable
{
    public Image<Rgb24>? Image { get; private init; }
    public Image<L8>? Mask { get; private init; }

    public static JobPictures Decode(GenerationParameters parameters, UploadedInputs? inputs)
    {
        if (parameters.Kind == JobKinds.Generation) return new JobPictures();
        if (inputs is null) throw new InvalidOperationException($"A job of kind '{parameters.Kind}' needs an input image.");
        var image = SixLabors.ImageSharp.Image.Load<Rgb24>(inputs.ImagePng);
        try
        {
            return new JobPictures { Image = image, Mask = inputs.MaskPng is null ? null : SixLabors.ImageSharp.Image.Load<L8>(inputs.MaskPng) };
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Image?.Dispose();
        Mask?.Dispose();
    }
}
