using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TextToImage.Diffusion.IO;

namespace TextToImage.Training.Training;

/// <summary>
/// <c>loss.png</c>: the logged loss against steps on a log scale, with a running mean over ten
/// points. Drawn pixel by pixel with ImageSharp, so a training run depends on no native graphics
/// library (a Skia whose native and managed halves disagreed once ended runs here); the axis ends
/// are written in a built-in 3x5 digit font.
/// </summary>
public static class LossCurvePlot
{
    const int Margin = 50;
    static readonly Rgb24 Axis = new(128, 128, 128), Raw = new(150, 180, 230), Smooth = new(20, 60, 160), Ink = new(0, 0, 0);

    public static void Write(string path, IReadOnlyList<LossPoint> points, int width = 800, int height = 400)
    {
        if (points.Count < 2) return;
        using var image = new Image<Rgb24>(width, height, new Rgb24(255, 255, 255));
        var (minStep, maxStep) = (points[0].Step, Math.Max(points[^1].Step, points[0].Step + 1));
        var logs = points.Select(p => Math.Log10(Math.Max(p.Loss, 1e-8))).ToArray();
        var (low, high) = (logs.Min(), Math.Max(logs.Max(), logs.Min() + 1e-3));
        (double X, double Y) At(long step, double log) => (
            Margin + (double)(step - minStep) / (maxStep - minStep) * (width - 2 * Margin),
            height - Margin - (log - low) / (high - low) * (height - 2 * Margin));

        Line(image, (Margin, height - Margin), (width - Margin, height - Margin), Axis, 1);
        Line(image, (Margin, Margin), (Margin, height - Margin), Axis, 1);
        Polyline(image, points.Select((p, i) => At(p.Step, logs[i])).ToArray(), Raw, 1);
        var smoothed = logs.Select((_, i) => logs.Skip(Math.Max(0, i - 9)).Take(Math.Min(10, i + 1)).Average()).ToArray();
        Polyline(image, points.Select((p, i) => At(p.Step, smoothed[i])).ToArray(), Smooth, 2);

        DigitFont.Draw(image, $"{Math.Pow(10, high):G3}", 4, Margin - 14, Ink);
        DigitFont.Draw(image, $"{Math.Pow(10, low):G3}", 4, height - Margin + 6, Ink);
        DigitFont.Draw(image, $"{minStep}", Margin, height - 24, Ink);
        var last = $"{maxStep}";
        DigitFont.Draw(image, last, width - Margin - DigitFont.Width(last), height - 24, Ink);

        AtomicFile.Write(path, stream => image.SaveAsPng(stream));
    }

    static void Polyline(Image<Rgb24> image, (double X, double Y)[] points, Rgb24 color, int thickness)
    {
        for (var i = 1; i < points.Length; i++) Line(image, points[i - 1], points[i], color, thickness);
    }

    /// <summary>A line of square dots one pixel apart along its longer axis.</summary>
    static void Line(Image<Rgb24> image, (double X, double Y) from, (double X, double Y) to, Rgb24 color, int thickness)
    {
        var steps = (int)Math.Ceiling(Math.Max(Math.Abs(to.X - from.X), Math.Abs(to.Y - from.Y))) + 1;
        for (var s = 0; s <= steps; s++)
        {
            var t = (double)s / steps;
            var x = (int)Math.Round(from.X + t * (to.X - from.X));
            var y = (int)Math.Round(from.Y + t * (to.Y - from.Y));
            Dot(image, x, y, thickness, color);
        }
    }

    /// <summary>A square of <paramref name="size"/> pixels with its top left at (x, y), clipped to the image.</summary>
    internal static void Dot(Image<Rgb24> image, int x, int y, int size, Rgb24 color)
    {
        for (var dy = 0; dy < size; dy++)
        for (var dx = 0; dx < size; dx++)
            if (x + dx >= 0 && x + dx < image.Width && y + dy >= 0 && y + dy < image.Height) image[x + dx, y + dy] = color;
    }
}

/// <summary>Numbers as pixels: 3x5 glyphs for 0-9 . - + e E, drawn at twice their size.</summary>
static class DigitFont
{
    const int Scale = 2, Advance = 4 * Scale;

    // Each glyph is five rows of three bits, top row first, the high bit leftmost.
    static readonly Dictionary<char, int[]> Glyphs = new()
    {
        ['0'] = [7, 5, 5, 5, 7], ['1'] = [2, 6, 2, 2, 7], ['2'] = [7, 1, 7, 4, 7], ['3'] = [7, 1, 7, 1, 7],
        ['4'] = [5, 5, 7, 1, 1], ['5'] = [7, 4, 7, 1, 7], ['6'] = [7, 4, 7, 5, 7], ['7'] = [7, 1, 1, 1, 1],
        ['8'] = [7, 5, 7, 5, 7], ['9'] = [7, 5, 7, 1, 7], ['.'] = [0, 0, 0, 0, 2], ['-'] = [0, 0, 7, 0, 0],
        ['+'] = [0, 2, 7, 2, 0], ['e'] = [0, 7, 7, 4, 7], ['E'] = [7, 4, 7, 4, 7],
    };

    public static int Width(string text) => text.Length * Advance;

    public static void Draw(Image<Rgb24> image, string text, int left, int top, Rgb24 color)
    {
        for (var c = 0; c < text.Length; c++)
        {
            if (!Glyphs.TryGetValue(text[c], out var rows)) continue;   // a character without a glyph leaves a gap
            for (var row = 0; row < 5; row++)
            for (var column = 0; column < 3; column++)
            {
                if ((rows[row] >> (2 - column) & 1) == 1)
                    LossCurvePlot.Dot(image, left + c * Advance + column * Scale, top + row * Scale, Scale, color);
            }
        }
    }
}
