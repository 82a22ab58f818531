using System.Text.Json;
using SkiaSharp;
using Svg.Skia;
using TextToImage.Diffusion.IO;
using TextToImage.Training.Evaluation;

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

    /// <summary>CLDR names and keywords (npm emojibase-data) for captions people type; null: the file-name caption only.</summary>
    public EmojiAnnotations? Annotations { get; init; }

    /// <summary>With annotations: this many framed captions per default-tone emoji (<see cref="EmojiCaptions.Framed"/>); 0: none.</summary>
    public int FramedCaptions { get; init; }

    /// <summary>With annotations: this many keyword phrases per default-tone emoji (<see cref="EmojiCaptions.KeywordPhrases"/>); 0: none.</summary>
    public int KeywordCaptions { get; init; }

    /// <summary>
    /// Prompts an evaluation holds out (<c>t2i eval --prompts</c> files): a caption equal to one (case aside) is left out of
    /// every row, so the measure stays one of wording the model never trained on. The file-name caption always stays.
    /// </summary>
    public IReadOnlySet<string> HeldOut { get; init; } = new HashSet<string>();
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

    /// <summary>One image: its captions (the file-name caption first) and the emoji's bare short name ("cat face").</summary>
    public sealed record Entry(string Style, string Stem, IReadOnlyList<string> Captions, string ShortName, bool Annotated)
    {
        public string Caption => Captions[0];
    }

    /// <summary>The files a selection takes, in a stable order (style, then file name).</summary>
    public static IReadOnlyList<Entry> List(string packageFolder, FluentEmojiSelection selection)
    {
        var icons = Path.Combine(packageFolder, "icons");
        if (!Directory.Exists(icons))
            throw new DirectoryNotFoundException($"{packageFolder} is not the unpacked fluentui-emoji package (no icons/ folder); see the README's dataset section.");
        var files = new List<(string Style, string Stem, string Name, string? Tone)>();
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
                files.Add((style, stem, name, tone));
            }
        }
        if (selection.MaxEmoji is { } max)
        {
            var random = new Random(selection.Seed);
            var kept = files.Select(e => e.Stem).Distinct().Order(StringComparer.Ordinal).OrderBy(_ => random.Next()).Take(max).ToHashSet();
            files = files.Where(e => kept.Contains(e.Stem)).ToList();
        }

        var annotationOf = files.Select(f => f.Name).Distinct()
            .ToDictionary(name => name, name => selection.Annotations?.Find(name.Replace(' ', '-')));
        // How many emoji of this dataset (not of CLDR) share a keyword decides whether it can stand alone as a caption.
        var keywordUse = annotationOf.Values.OfType<EmojiAnnotation>().SelectMany(a => a.Keywords.Distinct())
            .GroupBy(k => k, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.Count(), StringComparer.OrdinalIgnoreCase);
        return files.Select(f =>
        {
            var annotation = annotationOf[f.Name];
            var captions = selection.Annotations is null
                ? [EmojiCaptions.Caption(f.Name, f.Tone, f.Style)]
                : EmojiCaptions.All(f.Name, f.Tone, f.Style, annotation, k => keywordUse.GetValueOrDefault(k));
            if (annotation is not null && f.Tone is null)
            {
                IEnumerable<string> worded = [.. EmojiCaptions.Framed(annotation.Name, selection.FramedCaptions),
                    .. EmojiCaptions.KeywordPhrases(annotation.Name, annotation.Keywords, selection.KeywordCaptions)];
                captions = [.. captions, .. worded.Except(captions, StringComparer.OrdinalIgnoreCase)];
            }
            return new Entry(f.Style, f.Stem, captions, annotation?.Name ?? f.Name, annotation is not null);
        }).ToList();
    }

    /// <summary>What <see cref="Write"/> wrote: images per size, captions in all, and the emoji no annotation named.</summary>
    public sealed record Written(int Images, int Captions, IReadOnlyList<string> Unannotated, int HeldOutLeftOut = 0);

    /// <summary>Writes the dataset. Existing files are replaced.</summary>
    public static Written Write(string packageFolder, string outputFolder, IReadOnlyList<int> sizes, FluentEmojiSelection selection,
        Action<int, int>? progress = null)
    {
        if (sizes.Count == 0 || sizes.Any(s => s is < 8 or > 2048)) throw new ArgumentException("Sizes must be between 8 and 2048 pixels.");
        var listed = List(packageFolder, selection);
        foreach (var size in sizes) Directory.CreateDirectory(Path.Combine(outputFolder, size.ToString(), "images"));
        var colours = new string?[listed.Count];
        var done = 0;
        Parallel.For(0, listed.Count, i =>
        {
            var entry = listed[i];
            var svgPath = Path.Combine(packageFolder, "icons", entry.Style, entry.Stem + ".svg");
            using var svg = new SKSvg();
            if (svg.Load(svgPath) is not { } picture) throw new InvalidDataException($"Svg.Skia could not read {svgPath}.");
            foreach (var size in sizes)
                WritePng(picture, size, Path.Combine(outputFolder, size.ToString(), "images", FileName(entry)));
            if (selection.Annotations is not null) colours[i] = DominantColour(picture);   // only annotated captions use it
            progress?.Invoke(Interlocked.Increment(ref done), listed.Count);
        });
        // With annotations, the colour people see joins the captions ("a yellow banana"); the file-name-only dataset stays so.
        var entries = selection.Annotations is null ? listed : listed.Select((e, i) =>
            EmojiColours.Caption(e.ShortName, colours[i]) is { } caption && !e.Captions.Contains(caption, StringComparer.OrdinalIgnoreCase)
                ? e with { Captions = [.. e.Captions, caption] }
                : e).ToList();
        var heldOut = new HashSet<string>(selection.HeldOut, StringComparer.OrdinalIgnoreCase);
        var leftOut = entries.Sum(e => e.Captions.Skip(1).Count(heldOut.Contains));
        entries = entries.Select(e => e with { Captions = [e.Caption, .. e.Captions.Skip(1).Where(c => !heldOut.Contains(c))] }).ToList();
        foreach (var size in sizes)
        {
            // One row per image, its captions as a list (Hugging Face reads a list of strings as a sequence feature): each image
            // is drawn equally often however many captions it has, and a super-resolution stage pairs rows across sizes by order.
            var folder = Path.Combine(outputFolder, size.ToString());
            WriteJsonLines(Path.Combine(folder, ImageFolder.MetadataFile), entries.Select(e => JsonSerializer.Serialize(
                new { file_name = "images/" + FileName(e), text = e.Captions.Count == 1 ? (object)e.Caption : e.Captions }, Json)));
            // The bare short names as prompt lines (t2i eval --prompts): retrieval by the name a user would type. In a seeded
            // shuffle, because eval takes a file's first --count lines: those are then a fair sample of the whole set.
            WriteJsonLines(Path.Combine(folder, NamesFile), ModelEvaluator.PickRows(entries.Count, entries.Count, seed: 0).Select(i =>
                JsonSerializer.Serialize(new { file_name = "images/" + FileName(entries[i]), text = entries[i].ShortName }, Json)));
        }
        return new Written(entries.Count, entries.Sum(e => e.Captions.Count),
            entries.Where(e => !e.Annotated).Select(e => e.Stem).Distinct().ToList(), leftOut);
    }

    /// <summary>Beside metadata.jsonl: each row's bare short name, in the layout of <c>t2i eval --prompts</c>, rows in a seeded shuffle.</summary>
    public const string NamesFile = "names.jsonl";

    static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    static void WriteJsonLines(string path, IEnumerable<string> lines) => AtomicFile.WriteAllText(path, string.Concat(lines.Select(l => l + "\n")));

    static string FileName(Entry entry) => $"{entry.Style}-{entry.Stem}.png";

    /// <summary>The drawing's colour word, read at 32 px on a transparent background (the white of the written images would hide white parts).</summary>
    static string? DominantColour(SKPicture picture)
    {
        using var bitmap = new SKBitmap(new SKImageInfo((int)ViewBox, (int)ViewBox, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.Transparent);
            var extent = Math.Max(picture.CullRect.Width, picture.CullRect.Height);
            canvas.Scale(ViewBox / (extent > 0 ? extent : ViewBox));
            canvas.DrawPicture(picture);
        }
        return EmojiColours.Dominant(bitmap);
    }

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
