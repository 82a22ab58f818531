using System.Globalization;

namespace TextToImage.Training.Training;

/// <summary>One line of <c>loss.csv</c>: the mean loss over the steps since the previous line.</summary>
public sealed record LossPoint(long Step, long Samples, double Loss, double LearningRate, double TrainSeconds, double SamplesPerSecond);

/// <summary>
/// The run's <c>loss.csv</c>. On resume, lines past the checkpoint's step (logged after the last
/// save, then lost with the process) are dropped so the log never shows a step twice.
/// </summary>
public sealed class LossLog
{
    const string Header = "step,samples,loss,lr,train_seconds,samples_per_second";
    readonly string _path;
    readonly List<LossPoint> _points = [];

    public LossLog(string runFolder, long resumedStep)
    {
        _path = Path.Combine(runFolder, "loss.csv");
        if (File.Exists(_path))
            _points.AddRange(File.ReadLines(_path).Skip(1).Select(Parse).OfType<LossPoint>().Where(p => p.Step <= resumedStep));
        File.WriteAllLines(_path, _points.Select(Format).Prepend(Header));
    }

    public IReadOnlyList<LossPoint> Points => _points;

    public void Append(LossPoint point)
    {
        _points.Add(point);
        File.AppendAllLines(_path, [Format(point)]);
    }

    static string Format(LossPoint p) => string.Create(CultureInfo.InvariantCulture,
        $"{p.Step},{p.Samples},{p.Loss:G6},{p.LearningRate:G6},{p.TrainSeconds:F1},{p.SamplesPerSecond:F2}");

    static LossPoint? Parse(string line)
    {
        var f = line.Split(',');
        if (f.Length < 6) return null;
        var c = CultureInfo.InvariantCulture;
        return new LossPoint(long.Parse(f[0], c), long.Parse(f[1], c), double.Parse(f[2], c), double.Parse(f[3], c), double.Parse(f[4], c), double.Parse(f[5], c));
    }
}
