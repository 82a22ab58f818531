using System.Diagnostics;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;
using TextToImage.Service.Requests;
using Xunit.Abstractions;

namespace TextToImage.Service.Tests.Requests;

public sealed class UploadedImagesTests(ITestOutputHelper output)
{
    static readonly UploadLimits Limits = new(MaxBytes: 1 << 20, MaxSide: 4096, MaxPixels: 16L << 20);

    public static byte[] Encode(int width, int height, SixLabors.ImageSharp.Formats.IImageEncoder encoder)
    {
        using var image = new Image<Rgb24>(width, height);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                image[x, y] = new Rgb24((byte)(x * 7), (byte)(y * 5), (byte)(x ^ y));
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }

    [Theory]
    [InlineData("png")]
    [InlineData("jpeg")]
    [InlineData("webp")]
    public void Png_jpeg_and_webp_are_read_and_normalised_to_png(string format)
    {
        var bytes = Encode(40, 24, format switch { "png" => new PngEncoder(), "jpeg" => new JpegEncoder(), _ => new WebpEncoder() });
        var (png, width, height) = UploadedImages.NormalisedPng<Rgb24>(bytes, "image", Limits);
        Assert.Equal((40, 24), (width, height));
        using var decoded = Image.Load(png, out var decodedFormat);
        Assert.Equal("PNG", decodedFormat.Name);
        Assert.Equal((40, 24), (decoded.Width, decoded.Height));
    }

    [Fact]
    public void Other_formats_are_415()
    {
        var gif = Encode(8, 8, new GifEncoder());
        Assert.Equal(415, Assert.Throws<UploadRejectedException>(() => UploadedImages.Decode<Rgb24>(gif, "image", Limits)).Status);
        var text = "not an image at all"u8.ToArray();
        Assert.Equal(415, Assert.Throws<UploadRejectedException>(() => UploadedImages.Decode<Rgb24>(text, "mask", Limits)).Status);
    }

    [Theory]
    [InlineData("png")]
    [InlineData("jpeg")]
    [InlineData("webp")]
    public void Truncated_files_are_400_with_a_message(string format)
    {
        var bytes = Encode(64, 64, format switch { "png" => new PngEncoder(), "jpeg" => new JpegEncoder(), _ => new WebpEncoder() });
        foreach (var keep in new[] { 0.9, 0.5, 0.1 })
        {
            var truncated = bytes[..(int)(bytes.Length * keep)];
            var error = Assert.Throws<UploadRejectedException>(() => UploadedImages.Decode<Rgb24>(truncated, "image", Limits));
            output.WriteLine($"{format} cut to {keep:P0}: {error.Status} {error.Message}");
            Assert.Equal(400, error.Status);
            Assert.Contains("truncated", error.Message);
        }
    }

    [Fact]
    public void A_file_over_the_byte_limit_is_413_and_an_empty_one_400()
    {
        var bytes = Encode(300, 300, new PngEncoder());
        var small = Limits with { MaxBytes = bytes.Length - 1 };
        Assert.Equal(413, Assert.Throws<UploadRejectedException>(() => UploadedImages.Decode<Rgb24>(bytes, "image", small)).Status);
        Assert.Equal(400, Assert.Throws<UploadRejectedException>(() => UploadedImages.Decode<Rgb24>([], "image", Limits)).Status);
    }

    [Fact]
    public void Pictures_over_the_side_or_pixel_limits_are_400()
    {
        var wide = Encode(300, 10, new PngEncoder());
        var error = Assert.Throws<UploadRejectedException>(() => UploadedImages.Decode<Rgb24>(wide, "image", Limits with { MaxSide = 299 }));
        Assert.Equal(400, error.Status);
        Assert.Contains("300x10", error.Message);
        Assert.Equal(400, Assert.Throws<UploadRejectedException>(() => UploadedImages.Decode<Rgb24>(wide, "image", Limits with { MaxPixels = 2999 })).Status);
        using var fits = UploadedImages.Decode<Rgb24>(wide, "image", Limits with { MaxSide = 300, MaxPixels = 3000 });
        Assert.Equal(300, fits.Width);
    }

    [Fact]
    public void A_decompression_bomb_is_refused_from_its_header_without_allocating_it()
    {
        var bomb = TestPng.Declaring(100_000, 100_000);
        UploadedImages.Decode<Rgb24>(Encode(8, 8, new PngEncoder()), "image", Limits).Dispose(); // warm up: first use loads the codecs

        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        var error = Assert.Throws<UploadRejectedException>(() => UploadedImages.Decode<Rgb24>(bomb, "image", Limits));
        clock.Stop();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        output.WriteLine($"{bomb.Length}-byte PNG declaring 100000x100000: refused in {clock.Elapsed.TotalMilliseconds:F2} ms, {allocated} bytes allocated");
        Assert.Equal(400, error.Status);
        Assert.Contains("100000x100000", error.Message);
        // Decoding it would need 30 GB of pixels; identifying the header needs a few kilobytes.
        Assert.True(allocated < 1 << 20, $"refusing the bomb allocated {allocated} bytes");
    }
}
