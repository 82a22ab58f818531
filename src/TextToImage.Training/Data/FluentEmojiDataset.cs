using System.Text.Json;
using SkiaSharp;
using Svg.Skia;

namespace TextToImage.Training.Data;

/// <summary>Which Fluent Emoji files go into a dataset.</summary>
public sealed record FluentEmojiSelection
{
    /// <summary>Style folders of the npm package: "flat", "modern" (both MIT, SVG).</summary>
    public IReadOnlyList<string> Styles { get; init; } = ["flat", "modern"];

    /// <summary>False keeps one file per skin-toned emoji (its "-default" yellow one) instead of six.</summary>
    public bool SkinTones { get; init; } = true;

    /// <summary>Keep only this many emoji (each in every selected style), chosen by a shuffle seeded with <see cref="Seed"/>.</summary>
    public int? MaxEmoji { get; init; }

    public int Seed { get; init; }
}

/// <summary>
/// <c>t2i dataset fluent-emoji</c>: rasterises the SVGs of the npm package fluentui-emoji@1.3.0
/// (unpacked: its <c>icons/&lt;style&gt;/*.svg</c>) onto white at each requested size and writes one
/// image folder per size (<c>OUT/&lt;size&gt;/metadata.jsonl</c> + <c>images/</c>), the same rows in
/// the same order in each, so a super-resolution stage can pair a 32 px image with its 128 px one.
/// </summary>
public static class FluentEmojiDataset
{
    const float ViewBox = 32f;   // every Fluent Emoji SVG draws in a 32x32 view box

    public sealed record Entry(string Style, string Stem, string Caption);

    /// <summary>The files a selection takes, in a stable order (style, then file name).</summary>
    public static IReadOnlyList<Entry> List(string packageFolder, FluentEmojiSelection selection)
    {
        var icons = Path.Combine(packageFolder, "icons");
        if (!Directory.Exists(icons))
            throw new DirectoryNotFoundException($"{packageFolder} is not the unpacked fluentui-emoji package (no icons/ folder); see the README's dataset section.");
        var entries = new List<Entry>();
        foreach (var style in selection.Styles)
        {
            var folder = Path.Combine(icons, style);
            if (!Directory.Exists(folder))
                throw new DirectoryNotFoundException($"No style '{style}' in {icons} (it has: {string.Join(", ", Directory.GetDirectories(icons).Select(Path.GetFileName))}).");
            var stems = Directory.GetFiles(folder, "*.svg").Select(Path.GetFileNameWithoutExtension).OfType<string>().Order(StringComparer.Ordinal).ToList();
            var known = stems.ToHashSet(StringComparer.Ordinal);
            foreach (var stem in stems)
            {
                var (name, tone, _) = EmojiCaptions.Parse(stem, known);
                if (tone is not null && !selection.SkinTones) continue;
                entries.Add(new Entry(style, stem, EmojiCaptions.Caption(name, tone, style)));
            }
        }
        if (selection.MaxEmoji is { } max)
        {
            var random = new Random(selection.Seed);
            var kept = entries.Select(e => e.Stem).Distinct().Order(StringComparer.Ordinal).OrderBy(_ => random.Next()).Take(max).ToHashSet();
            entries = entries.Where(e => kept.Contains(e.Stem)).ToList();
        }
        return entries;
    }

    /// <summary>Writes the dataset; returns the number of images per size. Existing files are replaced.</summary>
    public static int Write(string packageFolder, string outputFolder, IReadOnlyList<int> sizes, FluentEmojiSelection selection,
        Action<int, int>? progress = null)
    {
        if (sizes.Count == 0 || sizes.Any(s => s is < 8 or > 2048)) throw new ArgumentException("Sizes must be between 8 and 2048 pixels.");
        var entries = List(packageFolder, selection);
        foreach (var size in sizes) Directory.CreateDirectory(Path.Combine(outputFolder, size.ToString(), "images"));
        var done = 0;
        Parallel.ForEach(entries, entry =>
        {
            var svgPath = Path.Combine(packageFolder, "icons", entry.Style, entry.Stem + ".svg");
            using var svg = new SKSvg();
            if (svg.Load(svgPath) is not { } picture) throw new InvalidDataException($"Svg.Skia could not read {svgPath}.");
            foreach (var size in sizes)
                WritePng(picture, size, Path.Combine(outputFolder, size.ToString(), "images", FileName(entry)));
            progress?.Invoke(Interlocked.Increment(ref done), entries.Count);
        });
        foreach (var size in sizes)
        {
            var lines = entries.Select(e => JsonSerializer.Serialize(new { file_name = "images/" + FileName(e), text = e.Caption }));
            var metadata = Path.Combine(outputFolder, size.ToString(), ImageFolder.MetadataFile);
            File.WriteAllLines(metadata + ".tmp", lines);
            File.Move(metadata + ".tmp", metadata, overwrite: true);
        }
        return entries.Count;
    }

    static string FileName(Entry entry) => $"{entry.Style}-{entry.Stem}.png";

    static void WritePng(SKPicture picture, int size, string path)
    {
        using var surface = SKSurface.Create(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        // Fluent Emoji draw in a 32x32 view box; the picture's bounds are that box.
        var extent = Math.Max(picture.CullRect.Width, picture.CullRect.Height);
        canvas.Scale(size / (extent > 0 ? extent : ViewBox));
        canvas.DrawPicture(picture);
        canvas.Flush();
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        data.SaveTo(file);
    }
}
