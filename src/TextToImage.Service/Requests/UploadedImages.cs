using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.PixelFormats;

namespace TextToImage.Service.Requests;

/// <summary>How large an uploaded picture may be: bytes of the file, pixels per side, pixels in all.</summary>
public sealed record UploadLimits(long MaxBytes, int MaxSide, long MaxPixels);

/// <summary>An upload refused: the HTTP status it answers, the form field, and why.</summary>
public sealed class UploadRejectedException(int status, string field, string message) : Exception(message)
{
    public int Status { get; } = status;
    public string Field { get; } = field;
}

/// <summary>
/// Reads untrusted uploaded pictures. Only PNG, JPEG and WebP decoders are registered (anything else
/// is a 415); the header is identified first and a picture over the limits is refused before a
/// pixel is decoded, so a small file that declares 100000 x 100000 pixels costs nothing (a 400);
/// the decode itself runs under an allocation cap, in case a header lies; a truncated or corrupt
/// file is a 400 that says so. What passes is re-encoded as PNG: what the job stores and reads back.
/// </summary>
/// <remarks>ImageSharp 2.1 has no decoder options: limits are a Configuration with only our formats and a capped allocator.</remarks>
public static class UploadedImages
{
    public const int Unsupported = 415, TooLarge = 413, Invalid = 400;

    static readonly Configuration Formats = new(new PngConfigurationModule(), new JpegConfigurationModule(), new WebpConfigurationModule());

    /// <summary>The picture as PNG bytes, with its size; throws <see cref="UploadRejectedException"/>.</summary>
    public static (byte[] Png, int Width, int Height) NormalisedPng<TPixel>(byte[] bytes, string field, UploadLimits limits)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        using var image = Decode<TPixel>(bytes, field, limits);
        return (Png(image), image.Width, image.Height);
    }

    /// <summary>The PNG of a decoded picture: what a job stores of its uploads.</summary>
    public static byte[] Png(Image image)
    {
        using var png = new MemoryStream();
        image.Save(png, new PngEncoder());
        return png.ToArray();
    }

    public static Image<TPixel> Decode<TPixel>(byte[] bytes, string field, UploadLimits limits) where TPixel : unmanaged, IPixel<TPixel>
    {
        if (bytes.Length == 0) throw new UploadRejectedException(Invalid, field, $"The {field} file is empty.");
        if (bytes.Length > limits.MaxBytes)
            throw new UploadRejectedException(TooLarge, field, $"The {field} file has {bytes.Length} bytes; the limit is {limits.MaxBytes}.");

        var (info, format) = Identify(bytes, field);
        if (info.Width > limits.MaxSide || info.Height > limits.MaxSide || (long)info.Width * info.Height > limits.MaxPixels)
            throw new UploadRejectedException(Invalid, field,
                $"The {field} is {info.Width}x{info.Height} pixels; the limits are {limits.MaxSide} pixels per side and {limits.MaxPixels} pixels in all.");
        if (!EndsWhole(format, bytes))
            throw new UploadRejectedException(Invalid, field, $"The {field} ({format.Name}) is truncated: it stops before the end its format marks.");
        if (format is WebpFormat && IsAnimatedWebp(bytes))
            throw new UploadRejectedException(Invalid, field, $"The {field} is an animated WebP; send a single picture.");

        try
        {
            var image = Image.Load<TPixel>(CappedConfiguration(limits), bytes);
            if (image.Width == info.Width && image.Height == info.Height) return image;
            image.Dispose();
            throw new UploadRejectedException(Invalid, field, $"The {field}'s header and its pixel data disagree about its size.");
        }
        catch (Exception e) when (e is ImageFormatException or InvalidMemoryOperationException or EndOfStreamException or IndexOutOfRangeException
                                      or ArgumentException or InvalidOperationException)
        {
            throw new UploadRejectedException(Invalid, field, $"The {field} ({format.Name}) is truncated or corrupt: {e.Message}");
        }
    }

    static (IImageInfo Info, IImageFormat Format) Identify(byte[] bytes, string field)
    {
        IImageInfo? info;
        IImageFormat? format;
        try
        {
            info = Image.Identify(Formats, new MemoryStream(bytes, writable: false), out format);
        }
        catch (Exception e) when (e is ImageFormatException or EndOfStreamException or IndexOutOfRangeException or ArgumentException
                                      or InvalidOperationException)
        {
            throw new UploadRejectedException(Invalid, field, $"The {field}'s header is truncated or corrupt: {e.Message}");
        }
        if (format is null)
            throw new UploadRejectedException(Unsupported, field, $"The {field} is not a PNG, JPEG or WebP file.");
        if (info is null || info.Width < 1 || info.Height < 1)
            throw new UploadRejectedException(Invalid, field, $"The {field}'s {format.Name} header is truncated or corrupt.");
        return (info, format);
    }

    /// <summary>
    /// Our formats, decoding with an allocator that refuses any buffer beyond what the pixel limit
    /// needs (8 bytes a pixel covers the widest pixel type a decoder works in), so a header that lies
    /// about the size still cannot make a decoder allocate gigabytes.
    /// </summary>
    static Configuration CappedConfiguration(UploadLimits limits)
    {
        var configuration = Formats.Clone();
        var megabytes = (int)Math.Clamp(limits.MaxPixels * 8 / (1 << 20) + 1, 16, int.MaxValue);
        configuration.MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions { AllocationLimitMegabytes = megabytes });
        return configuration;
    }

    /// <summary>
    /// Whether the file reaches its format's end mark. ImageSharp decodes a cut-off JPEG or WebP, and a
    /// PNG missing its last data, into a partly grey picture without complaint; a cut upload should be
    /// a 400, not a job. PNG ends with IEND, JPEG with EOI (FF D9; the entropy-coded data stuffs every
    /// FF, so the pair cannot occur inside it), WebP is as long as its RIFF header says. A few bytes of
    /// trailing padding after the mark are tolerated, as many writers add them.
    /// </summary>
    static bool EndsWhole(IImageFormat format, byte[] bytes)
    {
        var tail = bytes.AsSpan(Math.Max(0, bytes.Length - 64));
        return format switch
        {
            PngFormat => tail.IndexOf("IEND"u8) >= 0,
            JpegFormat => tail.IndexOf([(byte)0xFF, (byte)0xD9]) >= 0,
            WebpFormat => bytes.Length >= 12 && bytes.Length >= 8 + (long)BitConverter.ToUInt32(bytes, 4),
            _ => false,
        };
    }

    /// <summary>An extended WebP (RIFF....WEBPVP8X) with the animation flag (bit 1 of the VP8X flags byte).</summary>
    static bool IsAnimatedWebp(byte[] bytes) =>
        bytes.Length > 20 && bytes.AsSpan(12, 4).SequenceEqual("VP8X"u8) && (bytes[20] & 0x02) != 0;
}
