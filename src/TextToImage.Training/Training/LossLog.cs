using System.Globalization;

namespace TextToImage.Training.Training;

/// <summary>One line of <c>loss.csv</c>: the mean loss over the steps since the previous line.</summary>
public sealed record LossPoint(long Step, long Samples, double Loss, double LearningRate, double TrainSeconds, double SamplesPerSecond);

/// <summary>The run's <c>loss.csv</c> (a <see cref="StepCsv"/>: resuming forgets the lines past the checkpoint).</summary>
public sealed class LossLog
{
    readonly StepCsv _file;
    readonly List<LossPoint> _points;

    public LossLog(string runFolder, long resumedStep)
    {
        _file = new StepCsv(Path.Combine(runFolder, "loss.csv"), "step,samples,loss,lr,train_seconds,samples_per_second", resumedStep);
        _points = _file.Rows.Select(Parse).OfType<LossPoint>().ToList();
    }

    public IReadOnlyList<LossPoint> Points => _points;

    public void Append(LossPoint point)
    {
        _points.Add(point);
        _file.Append(string.Create(CultureInfo.InvariantCulture,
            $"{point.Step},{point.Samples},{point.Loss:G6},{point.LearningRate:G6},{point.TrainSeconds:F1},{point.SamplesPerSecond:F2}"));
    }

    static LossPoint? Parse(string[] f)
    {
        if (f.Length < 6) return null;
        var c = CultureInfo.InvariantCulture;
        return new LossPoint(long.Parse(f[0], c), long.Parse(f[1], c), double.Parse(f[2], c), double.Parse(f[3], c), double.Parse(f[4], c), double.Parse(f[5], c));
    }
}
