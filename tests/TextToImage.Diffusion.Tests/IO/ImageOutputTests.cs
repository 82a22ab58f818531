using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;
using TextToImage.Diffusion.IO;

namespace TextToImage.Diffusion.Tests.IO;

/// <summary>WebP and JPEG output: the pixels within lossy tolerance, the metadata (any prompt) in XMP.</summary>
public sealed class ImageOutputTests
{
    static readonly GenerationMetadata Sample = new("a cat 🐱 reading in Zürich, 夜の図書館 & <friends>", "blurry", 42, 20, "dpmpp-2m", 4, "fluent-emoji", 64, 48,
        new Dictionary<string, string> { ["sampling"] = "batched" });

    [Theory]
    [InlineData(OutputFormat.Webp)]
    [InlineData(OutputFormat.Jpeg)]
    public void Lossy_formats_carry_the_metadata_and_decode_close_to_the_pixels(OutputFormat format)
    {
        using var image = Smooth(64, 48);
        var bytes = ImageOutput.Encode(image, Sample, new ImageEncoding(format, 95));

        Assert.Equal(Sample, ImageOutput.ReadMetadata(new MemoryStream(bytes)));
        using var decoded = Image.Load<Rgb24>(bytes, out var detected);
        Assert.Equal(format == OutputFormat.Webp ? WebpFormat.Instance : JpegFormat.Instance, detected);
        Assert.Equal((64, 48), (decoded.Width, decoded.Height));
        Assert.InRange(MeanAbsoluteError(image, decoded), 0, 4.0);   // levels of 255, at quality 95 on a smooth picture
    }

    [Fact]
    public void Lower_quality_makes_smaller_files_and_the_same_input_the_same_bytes()
    {
        using var image = Smooth(64, 48);
        var high = ImageOutput.Encode(image, Sample, new ImageEncoding(OutputFormat.Webp, 95));
        var low = ImageOutput.Encode(image, Sample, new ImageEncoding(OutputFormat.Webp, 10));
        Assert.True(low.Length < high.Length, $"quality 10: {low.Length} bytes, quality 95: {high.Length}");
        Assert.Equal(high, ImageOutput.Encode(image, Sample, new ImageEncoding(OutputFormat.Webp, 95)));
    }

    [Fact]
    public void Png_encoding_is_the_png_writer()
    {
        using var image = Smooth(16, 16);
        var metadata = Sample with { Width = 16, Height = 16 };
        Assert.Equal(PngOutput.Encode(image, metadata), ImageOutput.Encode(image, metadata, ImageEncoding.Png));
    }

    [Fact]
    public void A_quality_out_of_range_is_refused()
    {
        using var image = Smooth(8, 8);
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageOutput.Encode(image, Sample, new ImageEncoding(OutputFormat.Jpeg, 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageOutput.Encode(image, Sample, new ImageEncoding(OutputFormat.Webp, 101)));
    }

    [Fact]
    public void A_jpeg_from_another_tool_has_no_metadata()
    {
        using var image = Smooth(8, 8);
        using var stream = new MemoryStream();
        image.SaveAsJpeg(stream);
        stream.Position = 0;
        Assert.Null(ImageOutput.ReadMetadata(stream));
    }

    [Theory]
    [InlineData("png", OutputFormat.Png, "png", "image/png")]
    [InlineData("webp", OutputFormat.Webp, "webp", "image/webp")]
    [InlineData("jpeg", OutputFormat.Jpeg, "jpg", "image/jpeg")]
    [InlineData("jpg", OutputFormat.Jpeg, "jpg", "image/jpeg")]
    public void Format_names_parse_to_their_extension_and_content_type(string name, OutputFormat format, string extension, string contentType)
    {
        Assert.True(ImageEncoding.TryParseFormat(name, out var parsed));
        Assert.Equal(format, parsed);
        var encoding = new ImageEncoding(parsed);
        Assert.Equal((extension, contentType), (encoding.Extension, encoding.ContentType));
        Assert.False(ImageEncoding.TryParseFormat("gif", out _));
        Assert.False(ImageEncoding.TryParseFormat("PNG", out _));
    }

    static Image<Rgb24> Smooth(int width, int height)
    {
        var image = new Image<Rgb24>(width, height);
        for (var y = 0; y < height; y++)
        for (var x = 0; x < width; x++)
            image[x, y] = new Rgb24((byte)(x * 255 / width), (byte)(y * 255 / height), 128);
        return image;
    }

    static double MeanAbsoluteError(Image<Rgb24> a, Image<Rgb24> b)
    {
        double sum = 0;
        for (var y = 0; y < a.Height; y++)
        for (var x = 0; x < a.Width; x++)
        {
            var (p, q) = (a[x, y], b[x, y]);
            sum += Math.Abs(p.R - q.R) + Math.Abs(p.G - q.G) + Math.Abs(p.B - q.B);
        }
        return sum / (a.Width * a.Height * 3);
    }
}
