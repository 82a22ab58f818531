namespace TextToImage.Service.Blobs;

static class ContentTypes
{
    public const string Png = "image/png";

    public static string FromFileName(string name) => Path.GetExtension(name).ToLowerInvariant() switch
    {
        ".png" => Png,
        ".jpg" or ".jpeg" => "image/jpeg",
        ".webp" => "image/webp",
        _ => "application/octet-stream",
    };
}
