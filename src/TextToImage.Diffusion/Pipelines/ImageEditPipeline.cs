using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using TextToImage.Diffusion.IO;

namespace TextToImage.Diffusion.Pipelines;

/// <summary>
/// Image-to-image and inpainting through the whole cascade, as DeepFloyd IF does it: every stage
/// starts from the user's picture at its resolution noised to <see cref="EditRequest.Strength"/>
/// (SDEdit), and with a mask keeps the picture's pixels outside it at every step; super-resolution
/// stages are also conditioned on the previous stage's output. So strength 0 returns the picture
/// resized to the output resolution, and the unmasked pixels of an inpainting are the picture's.
/// </summary>
public sealed class ImageEditPipeline(CascadeModel model)
{
    public CascadeModel Model { get; } = model;

    public GenerationResult Edit(EditRequest request, Action<GenerationProgress>? progress = null,
        Action<StageResult>? stageCompleted = null, CancellationToken cancellation = default)
    {
        if (request.Strength is < 0 or > 1 || double.IsNaN(request.Strength))
            throw new InvalidGenerationRequestException($"Strength must be between 0 and 1, not {request.Strength}.");
        if (request.JumpLength < 0 || request.JumpCount < 0)
            throw new InvalidGenerationRequestException("JumpLength and JumpCount must not be negative.");
        if (request.Mask is { } mask && (mask.Width != request.Image.Width || mask.Height != request.Image.Height))
            throw new InvalidGenerationRequestException($"The mask is {mask.Width}x{mask.Height} but the image is {request.Image.Width}x{request.Image.Height}.");

        var pipeline = new CascadePipeline(Model);
        return pipeline.Run(request.Generation, firstStage: 0, lowResolution: null, s =>
        {
            var resolution = Model.Stages[s].Resolution;
            using var image = StageImages.Resize(request.Image, resolution);
            using var maskImage = request.Mask is null ? null : StageImages.ResizeMask(request.Mask, resolution);
            // Resampling pays off at the base stage, where the layout is decided; later stages only add detail.
            var jumps = s == 0 ? (request.JumpLength, request.JumpCount) : (0, 0);
            return new StageGuide(ImageTensors.FromImage(image), maskImage is null ? null : ImageTensors.MaskFromImage(maskImage),
                request.Strength, jumps.Item1, jumps.Item2);
        }, progress, stageCompleted, cancellation);
    }
}

/// <summary>A user's picture and mask at a stage's square resolution.</summary>
public static class StageImages
{
    /// <summary>Stretched to <paramref name="size"/> x <paramref name="size"/> (bicubic, which averages when shrinking); a copy when it already fits.</summary>
    public static Image<Rgb24> Resize(Image<Rgb24> image, int size) =>
        image.Width == size && image.Height == size
            ? image.Clone()
            : image.Clone(c => c.Resize(new ResizeOptions { Size = new Size(size, size), Mode = ResizeMode.Stretch, Sampler = KnownResamplers.Bicubic }));

    /// <summary>
    /// The mask by area (box filter), so a pixel is repainted when at least half of what it covers
    /// is; <see cref="ImageTensors.MaskFromImage"/> then thresholds at the midpoint.
    /// </summary>
    public static Image<L8> ResizeMask(Image<L8> mask, int size) =>
        mask.Width == size && mask.Height == size
            ? mask.Clone()
            : mask.Clone(c => c.Resize(new ResizeOptions { Size = new Size(size, size), Mode = ResizeMode.Stretch, Sampler = KnownResamplers.Box }));
}
