using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TextToImage.Diffusion.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Tests.IO;

public sealed class ImageTensorsTests : IDisposable
{
    readonly DisposeScope _scope = NewDisposeScope();

    public void Dispose() => _scope.Dispose();

    [Fact]
    public void FromImage_gives_channels_first_values_in_minus_one_to_one()
    {
        using var image = new Image<Rgb24>(2, 1);
        image[0, 0] = new Rgb24(0, 128, 255);
        image[1, 0] = new Rgb24(255, 0, 64);

        var x = ImageTensors.FromImage(image);

        Assert.Equal([1L, 3L, 1L, 2L], x.shape);
        Assert.Equal(ScalarType.Float32, x.dtype);
        // Planes R, G, B, each a row of the two pixels.
        float[] expected = [-1f, 1f, 128 / 127.5f - 1, -1f, 1f, 64 / 127.5f - 1];
        var actual = x.data<float>().ToArray();
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-6f);
    }

    [Fact]
    public void FromImages_stacks_a_batch_in_order()
    {
        using var first = new Image<Rgb24>(3, 2, new Rgb24(0, 0, 0));
        using var second = new Image<Rgb24>(3, 2, new Rgb24(255, 255, 255));

        var x = ImageTensors.FromImages([first, second]);

        Assert.Equal([2L, 3L, 2L, 3L], x.shape);
        Assert.Equal(-1f, x[0].max().item<float>());
        Assert.Equal(1f, x[1].min().item<float>());
    }

    [Fact]
    public void FromImages_rejects_mixed_sizes_and_empty_batches()
    {
        using var a = new Image<Rgb24>(4, 4);
        using var b = new Image<Rgb24>(4, 5);

        var error = Assert.Throws<ArgumentException>(() => ImageTensors.FromImages([a, b]));
        Assert.Contains("4x5", error.Message);
        Assert.Throws<ArgumentException>(() => ImageTensors.FromImages([]));
    }

    [Fact]
    public void Every_byte_level_survives_image_to_tensor_to_image()
    {
        using var image = AllLevels();

        var back = ImageTensors.ToImages(ImageTensors.FromImage(image)).Single();

        Assert.Equal(Pixels(image), Pixels(back));
        back.Dispose();
    }

    [Fact]
    public void Quantised_tensors_survive_tensor_to_image_to_tensor_exactly()
    {
        using var image = AllLevels();
        var x = ImageTensors.FromImage(image);

        var images = ImageTensors.ToImages(x);
        var again = ImageTensors.FromImages(images);

        TensorAssert.Same(x, again);
        foreach (var i in images) i.Dispose();
    }

    [Fact]
    public void ToImages_clamps_rounds_half_to_even_and_maps_nan_to_grey()
    {
        // (x + 1) * 127.5: -2 → -127.5 → 0; 2 → 382.5 → 255; 0 → 127.5 → 128 (half to even); NaN → 0 → 128.
        var x = tensor(new[] { -2f, 2f, 0f, float.NaN, -1f, 1f }).reshape(1, 1, 1, 6).expand(1, 3, 1, 6);

        var image = ImageTensors.ToImages(x).Single();

        byte[] expected = [0, 255, 128, 128, 0, 255];
        for (var i = 0; i < expected.Length; i++) Assert.Equal(new Rgb24(expected[i], expected[i], expected[i]), image[i, 0]);
        image.Dispose();
    }

    [Fact]
    public void ToImages_accepts_an_unbatched_half_precision_view()
    {
        // A [3, H, W] float16 slice of a channels-last tensor: neither batched, float32, nor contiguous.
        var hwc = tensor(new[] { -1f, 0f, 1f, 1f, 0f, -1f }).reshape(1, 2, 3).to_type(ScalarType.Float16);
        var chw = hwc.permute(2, 0, 1);

        var image = ImageTensors.ToImages(chw).Single();

        Assert.Equal(2, image.Width);
        Assert.Equal(1, image.Height);
        Assert.Equal(new Rgb24(0, 128, 255), image[0, 0]);
        Assert.Equal(new Rgb24(255, 128, 0), image[1, 0]);
        image.Dispose();
    }

    [Fact]
    public void ToImages_splits_a_batch_in_order()
    {
        var x = cat([full(1, 3, 2, 2, -1f), full(1, 3, 2, 2, 1f)], 0);

        var images = ImageTensors.ToImages(x);

        Assert.Equal(2, images.Length);
        Assert.Equal(new Rgb24(0, 0, 0), images[0][1, 1]);
        Assert.Equal(new Rgb24(255, 255, 255), images[1][1, 1]);
        foreach (var i in images) i.Dispose();
    }

    [Fact]
    public void ToImages_rejects_tensors_that_are_not_rgb()
    {
        Assert.Throws<ArgumentException>(() => ImageTensors.ToImages(zeros(1, 4, 2, 2)));
        Assert.Throws<ArgumentException>(() => ImageTensors.ToImages(zeros(2, 2)));
    }

    [Fact]
    public void MaskFromImage_binarises_white_to_one()
    {
        using var mask = new Image<L8>(4, 1);
        mask[0, 0] = new L8(0);
        mask[1, 0] = new L8(127);
        mask[2, 0] = new L8(128);
        mask[3, 0] = new L8(255);

        var m = ImageTensors.MaskFromImage(mask);

        Assert.Equal([1L, 1L, 1L, 4L], m.shape);
        Assert.Equal(ScalarType.Float32, m.dtype);
        Assert.Equal([0f, 0f, 1f, 1f], m.data<float>().ToArray());
    }

    /// <summary>A 256x3 image: row y holds every byte level in channel y, the others fixed, so all levels meet every channel.</summary>
    static Image<Rgb24> AllLevels()
    {
        var image = new Image<Rgb24>(256, 3);
        for (var x = 0; x < 256; x++)
        {
            var v = (byte)x;
            var w = (byte)(255 - x);
            image[x, 0] = new Rgb24(v, w, 7);
            image[x, 1] = new Rgb24(w, v, 200);
            image[x, 2] = new Rgb24(13, w, v);
        }
        return image;
    }

    static Rgb24[] Pixels(Image<Rgb24> image)
    {
        var pixels = new Rgb24[image.Width * image.Height];
        image.CopyPixelDataTo(pixels);
        return pixels;
    }
}
