using SkiaSharp;

namespace TextToImage.Training.Training;

/// <summary>
/// <c>loss.png</c>: the logged loss against steps on a log scale, with a running mean over ten
/// points, drawn with Skia (already here for the SVGs). Axis ends are written as text when the
/// platform has a font; the picture stands without them.
/// </summary>
public static class LossCurvePlot
{
    public static void Write(string path, IReadOnlyList<LossPoint> points, int width = 800, int height = 400)
    {
        if (points.Count < 2) return;
        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        const float margin = 50;
        var (minStep, maxStep) = (points[0].Step, Math.Max(points[^1].Step, points[0].Step + 1));
        var logs = points.Select(p => Math.Log10(Math.Max(p.Loss, 1e-8))).ToArray();
        var (low, high) = (logs.Min(), Math.Max(logs.Max(), logs.Min() + 1e-3));
        SKPoint At(long step, double log) => new(
            margin + (float)(step - minStep) / (maxStep - minStep) * (width - 2 * margin),
            height - margin - (float)((log - low) / (high - low)) * (height - 2 * margin));

        using var axis = new SKPaint { Color = SKColors.Gray, StrokeWidth = 1, IsAntialias = true };
        canvas.DrawLine(margin, height - margin, width - margin, height - margin, axis);
        canvas.DrawLine(margin, margin, margin, height - margin, axis);
        Polyline(canvas, points.Select((p, i) => At(p.Step, logs[i])), new SKColor(150, 180, 230), 1);
        var smoothed = logs.Select((_, i) => logs.Skip(Math.Max(0, i - 9)).Take(Math.Min(10, i + 1)).Average()).ToArray();
        Polyline(canvas, points.Select((p, i) => At(p.Step, smoothed[i])), new SKColor(20, 60, 160), 2);

        using var font = new SKFont { Size = 12 };
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        canvas.DrawText($"loss (log10) {Math.Pow(10, high):G3}", 4, margin - 8, SKTextAlign.Left, font, ink);
        canvas.DrawText($"{Math.Pow(10, low):G3}", 4, height - margin + 14, SKTextAlign.Left, font, ink);
        canvas.DrawText($"step {minStep}", margin, height - 18, SKTextAlign.Left, font, ink);
        canvas.DrawText($"step {maxStep}", width - margin, height - 18, SKTextAlign.Right, font, ink);

        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        var temporary = path + ".tmp";
        using (var file = File.Create(temporary)) data.SaveTo(file);
        File.Move(temporary, path, overwrite: true);
    }

    static void Polyline(SKCanvas canvas, IEnumerable<SKPoint> points, SKColor color, float width)
    {
        using var paint = new SKPaint { Color = color, StrokeWidth = width, IsAntialias = true, Style = SKPaintStyle.Stroke };
        canvas.DrawPoints(SKPointMode.Polygon, points.ToArray(), paint);
    }
}
