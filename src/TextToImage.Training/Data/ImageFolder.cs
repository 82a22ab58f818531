using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace TextToImage.Training.Data;

/// <summary>What to do with a row that cannot be used: leave it out (and report it), or stop.</summary>
public enum BadRowPolicy { Skip, Fail }

/// <summary>One unusable row of <c>metadata.jsonl</c>: its 1-based line and why.</summary>
public sealed record BadRow(int Line, string? FileName, string Reason)
{
    public override string ToString() => $"line {Line}{(FileName is null ? "" : $" ({FileName})")}: {Reason}";

    /// <summary>The first 20, one indented line each, and how many more there are.</summary>
    public static string Listing(IReadOnlyList<BadRow> bad)
    {
        var listed = string.Join(Environment.NewLine, bad.Take(20).Select(b => "  " + b));
        return bad.Count > 20 ? $"{listed}{Environment.NewLine}  ... and {bad.Count - 20} more" : listed;
    }
}

/// <summary>One usable row: the image file (absolute) and its captions; <see cref="Text"/>, the first, is the row's caption where one is needed.</summary>
public sealed record ImageFolderRow(int Line, string FileName, string Path, IReadOnlyList<string> Captions)
{
    public string Text => Captions[0];
}

/// <summary>
/// Hugging Face's "imagefolder" layout: a folder of images with a <c>metadata.jsonl</c> of
/// <c>{"file_name": ..., "text": ...}</c> lines (file names relative to the folder), "text" one caption
/// or a list of them (training draws one per step, the first is the row's caption elsewhere). Reading checks
/// every row (valid JSON, a caption, a file inside the folder that decodes) so a bad row is found
/// before training starts, not hours into it.
/// </summary>
public sealed class ImageFolder
{
    public const string MetadataFile = "metadata.jsonl";

    ImageFolder(string folder, IReadOnlyList<ImageFolderRow> rows, IReadOnlyList<BadRow> badRows)
    {
        Folder = folder;
        Rows = rows;
        BadRows = badRows;
    }

    public string Folder { get; }
    public IReadOnlyList<ImageFolderRow> Rows { get; }

    /// <summary>Rows left out (with <see cref="BadRowPolicy.Skip"/>).</summary>
    public IReadOnlyList<BadRow> BadRows { get; }

    /// <exception cref="InvalidDataException">A bad row under <see cref="BadRowPolicy.Fail"/> (the message lists them all), or no usable row.</exception>
    public static ImageFolder Open(string folder, BadRowPolicy policy = BadRowPolicy.Fail)
    {
        var root = System.IO.Path.GetFullPath(folder);
        var metadata = System.IO.Path.Combine(root, MetadataFile);
        if (!File.Exists(metadata)) throw new FileNotFoundException($"{root} is not an image folder: it has no {MetadataFile}.", metadata);

        var rows = new List<ImageFolderRow>();
        var bad = new List<BadRow>();
        foreach (var (lineNumber, line) in NonBlankLines(metadata))
        {
            var (row, problem) = ParseRow(root, lineNumber, line);
            if (row is not null) rows.Add(row);
            else bad.Add(problem!);
        }
        if (bad.Count > 0 && policy == BadRowPolicy.Fail)
            throw new InvalidDataException($"{metadata}: {bad.Count} bad row(s); fix them or skip them:{Environment.NewLine}{BadRow.Listing(bad)}");
        if (rows.Count == 0) throw new InvalidDataException($"{metadata}: no usable rows.");
        return new ImageFolder(root, rows, bad);
    }

    /// <summary>The lines of a JSON Lines file that are not blank, with their 1-based line numbers.</summary>
    internal static IEnumerable<(int Line, string Text)> NonBlankLines(string path) =>
        File.ReadLines(path).Select((text, i) => (i + 1, text)).Where(l => !string.IsNullOrWhiteSpace(l.text));

    /// <summary>
    /// One <c>{"file_name": ..., "text": ...}</c> line: the file name and the text (trimmed; with <paramref name="listAllowed"/>,
    /// a list of them), or what is wrong with it. <paramref name="textIs"/> names the text in that message ("caption", "prompt").
    /// </summary>
    internal static (string? FileName, IReadOnlyList<string>? Texts, string? Problem) ParseLine(string json, string textIs, bool listAllowed)
    {
        string? fileName = null;
        List<string>? texts = null;
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object) return (null, null, "not a JSON object");
            if (document.RootElement.TryGetProperty("file_name", out var f) && f.ValueKind == JsonValueKind.String) fileName = f.GetString();
            if (document.RootElement.TryGetProperty("text", out var t))
            {
                if (t.ValueKind == JsonValueKind.String) texts = [t.GetString()!];
                else if (t.ValueKind == JsonValueKind.Array && listAllowed)
                    texts = t.EnumerateArray().Select(item => item.ValueKind == JsonValueKind.String ? item.GetString()! : "").ToList();
            }
        }
        catch (JsonException e)
        {
            return (null, null, $"invalid JSON ({e.Message})");
        }
        if (string.IsNullOrWhiteSpace(fileName)) return (null, null, "no \"file_name\" string");
        if (texts is null || texts.Count == 0 || texts is [var only] && string.IsNullOrWhiteSpace(only))
            return (fileName, null, $"empty or missing \"text\" {textIs}" + (listAllowed ? " (a string or a list of strings)" : ""));
        if (texts.Any(string.IsNullOrWhiteSpace)) return (fileName, null, $"an empty or non-string {textIs} in the \"text\" list");
        return (fileName, texts.Select(x => x.Trim()).ToList(), null);
    }

    static (ImageFolderRow?, BadRow?) ParseRow(string root, int line, string json)
    {
        var (fileName, captions, problem) = ParseLine(json, "caption", listAllowed: true);
        if (problem is not null) return (null, new BadRow(line, fileName, problem));
        var path = System.IO.Path.GetFullPath(System.IO.Path.Combine(root, fileName!));
        if (!path.StartsWith(root + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal))
            return (null, new BadRow(line, fileName, "file_name points outside the folder"));
        if (!File.Exists(path)) return (null, new BadRow(line, fileName, "file not found"));
        try
        {
            // A full decode, not just the header: a truncated file must be found now, not when training starts.
            using var image = Image.Load(path);
        }
        catch (Exception e) when (e is UnknownImageFormatException or InvalidImageContentException or ImageFormatException or IOException)
        {
            return (null, new BadRow(line, fileName, $"cannot be decoded ({e.Message})"));
        }
        return (new ImageFolderRow(line, fileName!, path, captions!), null);
    }

    /// <summary>
    /// Every image as RGB bytes at <paramref name="size"/>x<paramref name="size"/> (resized with
    /// bicubic when needed; transparency composited onto white), [N, size, size, 3] row-major.
    /// Undecodable images were refused by <see cref="Open"/>; one that fails now (changed on disk) throws.
    /// </summary>
    public byte[] LoadPixels(int size)
    {
        var perImage = size * size * 3;
        var pixels = new byte[checked(Rows.Count * perImage)];
        Parallel.For(0, Rows.Count, i =>
        {
            using var image = LoadRgb(Rows[i].Path, size);
            image.CopyPixelDataTo(pixels.AsSpan(i * perImage, perImage));
        });
        return pixels;
    }

    /// <summary>One image as RGB at <paramref name="size"/> (bicubic), transparency on white.</summary>
    public static Image<Rgb24> LoadRgb(string path, int size)
    {
        using var rgba = Image.Load<Rgba32>(path);
        if (rgba.Width != size || rgba.Height != size)
            rgba.Mutate(x => x.Resize(new ResizeOptions { Size = new Size(size, size), Mode = ResizeMode.Stretch, Sampler = KnownResamplers.Bicubic }));
        var rgb = new Image<Rgb24>(size, size, new Rgb24(255, 255, 255));
        rgb.Mutate(x => x.DrawImage(rgba, 1f));
        return rgb;
    }
}
