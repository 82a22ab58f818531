using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;

namespace TextToImage.Diffusion.IO;

/// <summary>
/// Converts between 8-bit RGB images and the float tensors a diffusion model works in:
/// [B, 3, H, W], channels-first, values in [-1, 1] with byte v ↦ v / 127.5 − 1.
/// Pixels travel as one byte block copied straight into (or out of) tensor memory; all arithmetic
/// is whole-tensor, never per pixel.
/// </summary>
public static class ImageTensors
{
    /// <summary>One image as a float32 [1, 3, H, W] tensor in [-1, 1] on the CPU.</summary>
    public static torch.Tensor FromImage(Image<Rgb24> image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return FromImages([image]);
    }

    /// <summary>Same-sized images as a float32 [B, 3, H, W] tensor in [-1, 1] on the CPU.</summary>
    public static torch.Tensor FromImages(IReadOnlyList<Image<Rgb24>> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0) throw new ArgumentException("No images given.", nameof(images));
        var (width, height) = (images[0].Width, images[0].Height);
        for (var i = 1; i < images.Count; i++)
        {
            if (images[i].Width != width || images[i].Height != height)
                throw new ArgumentException(
                    $"Image {i} is {images[i].Width}x{images[i].Height}, but image 0 is {width}x{height}; a batch needs one size.",
                    nameof(images));
        }

        using var scope = torch.NewDisposeScope();
        var pixels = PixelBlock(images.Count, height, width, 3);
        var bytes = pixels.bytes;
        var perImage = checked(width * height * 3);
        for (var i = 0; i < images.Count; i++)
            images[i].CopyPixelDataTo(bytes.Slice(i * perImage, perImage));

        var planar = pixels.permute(0, 3, 1, 2).contiguous();
        return planar.to_type(torch.ScalarType.Float32).div_(127.5).sub_(1.0).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Images from a [B, 3, H, W] or [3, H, W] tensor in [-1, 1], on any device and of any floating
    /// dtype. Each value becomes (x + 1) · 127.5 clamped to [0, 255] and rounded half to even
    /// (torch.round), in float32; NaN becomes 0 (mid grey) so a numerical fault still yields an image.
    /// FromImages(ToImages(x)) returns x exactly for any x that FromImages produced.
    /// </summary>
    public static Image<Rgb24>[] ToImages(torch.Tensor batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var shape = batch.shape;
        if (!(shape.Length == 4 && shape[1] == 3 || shape.Length == 3 && shape[0] == 3))
            throw new ArgumentException($"Expected [B, 3, H, W] or [3, H, W], got [{string.Join(", ", shape)}].", nameof(batch));

        using var scope = torch.NewDisposeScope();
        var images = shape.Length == 3 ? batch.unsqueeze(0) : batch;
        var quantised = images.detach().to_type(torch.ScalarType.Float32)
            .nan_to_num(0.0).add(1.0).mul_(127.5).clamp_(0.0, 255.0).round_()
            .to_type(torch.ScalarType.Byte)
            .permute(0, 2, 3, 1).contiguous().cpu();

        var (count, height, width) = ((int)quantised.shape[0], (int)quantised.shape[1], (int)quantised.shape[2]);
        var bytes = quantised.bytes;
        var perImage = checked(width * height * 3);
        var result = new Image<Rgb24>[count];
        for (var i = 0; i < count; i++)
            result[i] = Image.LoadPixelData<Rgb24>(bytes.Slice(i * perImage, perImage), width, height);
        return result;
    }

    /// <summary>
    /// An inpainting mask as a float32 [1, 1, H, W] tensor in {0, 1}: white (≥ 128) is 1, the region
    /// to repaint; darker is 0. Grey anti-aliased edges are binarised at the midpoint as diffusers does.
    /// </summary>
    public static torch.Tensor MaskFromImage(Image<L8> mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        using var scope = torch.NewDisposeScope();
        var pixels = PixelBlock(1, mask.Height, mask.Width, 1);
        mask.CopyPixelDataTo(pixels.bytes);
        return pixels.permute(0, 3, 1, 2).ge(128).to_type(torch.ScalarType.Float32).contiguous().MoveToOuterDisposeScope();
    }

    static torch.Tensor PixelBlock(int count, int height, int width, int channels)
    {
        var total = (long)count * height * width * channels;
        // Tensor.bytes exposes at most int.MaxValue bytes; beyond that is far past any batch we generate.
        if (total > int.MaxValue)
            throw new ArgumentException($"A batch of {count} images of {width}x{height} exceeds 2 GiB of pixels.");
        return torch.empty([count, height, width, channels], torch.ScalarType.Byte);
    }
}
