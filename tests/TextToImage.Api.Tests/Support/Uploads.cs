using System.Net;
using System.Net.Http.Headers;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace TextToImage.Api.Tests.Support;

/// <summary>Pictures and multipart forms for the upload endpoints.</summary>
static class Uploads
{
    /// <summary>Gradients and a checkerboard: structure at every scale, deterministic.</summary>
    public static Image<Rgb24> Picture(int width, int height)
    {
        var image = new Image<Rgb24>(width, height);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                image[x, y] = new Rgb24((byte)(255 * x / width), (byte)(255 * y / height), (byte)(((x / 8 + y / 8) % 2) * 200 + 20));
        return image;
    }

    /// <summary>White (repaint) in the centre square of half the side, black elsewhere.</summary>
    public static Image<L8> CentreMask(int width, int height)
    {
        var mask = new Image<L8>(width, height);
        for (var y = height / 4; y < 3 * height / 4; y++)
            for (var x = width / 4; x < 3 * width / 4; x++)
                mask[x, y] = new L8(255);
        return mask;
    }

    public static byte[] Encode(Image image, IImageEncoder? encoder = null)
    {
        using var stream = new MemoryStream();
        image.Save(stream, encoder ?? new PngEncoder());
        return stream.ToArray();
    }

    public static byte[] Png(int width, int height)
    {
        using var picture = Picture(width, height);
        return Encode(picture);
    }

    /// <summary>A multipart form: files as (field, bytes, file name), then text fields.</summary>
    public static MultipartFormDataContent Form(IEnumerable<(string Field, byte[] Bytes, string FileName)> files, object? fields = null)
    {
        var form = new MultipartFormDataContent();
        foreach (var (field, bytes, fileName) in files)
        {
            var part = new ByteArrayContent(bytes);
            part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(part, field, fileName);
        }
        foreach (var property in fields?.GetType().GetProperties() ?? [])
            form.Add(new StringContent(Convert.ToString(property.GetValue(fields), System.Globalization.CultureInfo.InvariantCulture)!), property.Name);
        return form;
    }

    /// <summary>Content that does not know its length, so HttpClient sends it chunked.</summary>
    public sealed class Unsized(HttpContent inner) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => inner.CopyToAsync(stream, context);

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }
}
