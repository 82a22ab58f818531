namespace TextToImage.Diffusion.IO;

/// <summary>The file formats a generated image can be written in.</summary>
public enum OutputFormat
{
    Png,
    Webp,
    Jpeg,
}

/// <summary>
/// How a generated image is written: the format, and for the lossy ones (WebP, JPEG) the quality,
/// 1 to 100. PNG is lossless and ignores it.
/// </summary>
public sealed record ImageEncoding(OutputFormat Format, int Quality = ImageEncoding.DefaultQuality)
{
    public const int DefaultQuality = 90;
    public const int MinQuality = 1, MaxQuality = 100;

    public static readonly ImageEncoding Png = new(OutputFormat.Png);

    /// <summary>The names requests and records use: png, webp, jpeg.</summary>
    public static readonly IReadOnlyList<string> Names = ["png", "webp", "jpeg"];

    /// <summary>Parses a format name as <see cref="Names"/> spells it (jpg also reads as jpeg); false for any other.</summary>
    public static bool TryParseFormat(string? name, out OutputFormat format)
    {
        switch (name)
        {
            case "png": format = OutputFormat.Png; return true;
            case "webp": format = OutputFormat.Webp; return true;
            case "jpeg" or "jpg": format = OutputFormat.Jpeg; return true;
            default: format = OutputFormat.Png; return false;
        }
    }

    public static string NameOf(OutputFormat format) => format switch
    {
        OutputFormat.Webp => "webp",
        OutputFormat.Jpeg => "jpeg",
        _ => "png",
    };

    /// <summary>The file extension without its dot, as blob keys and file names carry it.</summary>
    public string Extension => Format switch
    {
        OutputFormat.Webp => "webp",
        OutputFormat.Jpeg => "jpg",
        _ => "png",
    };

    public string ContentType => Format switch
    {
        OutputFormat.Webp => "image/webp",
        OutputFormat.Jpeg => "image/jpeg",
        _ => "image/png",
    };

    public bool IsLossy => Format != OutputFormat.Png;
}
