using SkiaSharp;

namespace TextToImage.Training.Data;

/// <summary>
/// The colour word people use for an emoji ("a yellow banana", "a red motorbike"), read from its pixels: the basic colour
/// term (Berlin and Kay's eleven) that covers the most of the drawing, when it covers enough of it to name the whole.
/// File names and CLDR annotations rarely say the colour people see, and users often type it.
/// </summary>
public static class EmojiColours
{
    /// <summary>The share of the drawn pixels one colour must cover to name the emoji: below it a drawing is "many colours".</summary>
    public const double MinShare = 0.45;

    /// <summary>The colour words this names, and that, in a name, make a colour caption redundant ("red apple").</summary>
    public static IReadOnlyList<string> Words => ColourWords;

    static readonly string[] ColourWords = ["red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "black", "white", "gray"];

    /// <summary>
    /// The dominant colour word of a drawing on a transparent background (straight or premultiplied alpha); pixels at
    /// least half opaque count. Null when nothing is drawn or no colour covers <see cref="MinShare"/> of it.
    /// </summary>
    public static string? Dominant(SKBitmap drawing)
    {
        var counts = new int[ColourWords.Length];
        var drawn = 0;
        for (var y = 0; y < drawing.Height; y++)
        for (var x = 0; x < drawing.Width; x++)
        {
            var c = drawing.GetPixel(x, y);   // unpremultiplied by Skia
            if (c.Alpha < 128) continue;
            drawn++;
            counts[Name(c.Red, c.Green, c.Blue)]++;
        }
        if (drawn == 0) return null;
        var best = Array.IndexOf(counts, counts.Max());
        return counts[best] >= MinShare * drawn ? ColourWords[best] : null;
    }

    /// <summary>The index in <see cref="Words"/> of one colour, by hue, saturation and value (thresholds of everyday naming, not of a standard).</summary>
    public static int Name(byte red, byte green, byte blue)
    {
        var (r, g, b) = (red / 255.0, green / 255.0, blue / 255.0);
        var max = Math.Max(r, Math.Max(g, b));
        var min = Math.Min(r, Math.Min(g, b));
        var value = max;
        var saturation = max == 0 ? 0 : (max - min) / max;
        if (value < 0.2) return Index("black");
        if (saturation < 0.18) return Index(value > 0.8 ? "white" : value < 0.35 ? "black" : "gray");
        var hue = max == min ? 0 : max == r ? 60 * ((g - b) / (max - min) % 6) : max == g ? 60 * ((b - r) / (max - min) + 2) : 60 * ((r - g) / (max - min) + 4);
        if (hue < 0) hue += 360;
        // Dark oranges and reds read as brown (wood, chocolate, a horse); light reds as pink.
        if (hue is >= 10 and < 45 && value < 0.65) return Index("brown");
        if (hue < 10 || hue >= 340) return Index(saturation < 0.45 && value > 0.8 ? "pink" : "red");
        if (hue < 35) return Index("orange");   // Fluent's face yellow (#FFB02E) is 37°: people call it yellow
        if (hue < 70) return Index("yellow");
        if (hue < 170) return Index("green");
        if (hue < 255) return Index("blue");
        if (hue < 290) return Index("purple");
        return Index("pink");
    }

    /// <summary>"a yellow banana": the colour caption of an emoji's short name; null when the name already says a colour or names no thing.</summary>
    public static string? Caption(string shortName, string? colour)
    {
        if (colour is null || shortName.Contains(':') || char.IsDigit(shortName[0])) return null;
        var words = shortName.Split([' ', '-', ','], StringSplitOptions.RemoveEmptyEntries);
        if (words.Any(w => ColourWords.Contains(w, StringComparer.OrdinalIgnoreCase) || w.Equals("grey", StringComparison.OrdinalIgnoreCase)))
            return null;
        return EmojiCaptions.WithArticle($"{colour} {shortName}");
    }

    static int Index(string word) => Array.IndexOf(ColourWords, word);
}
