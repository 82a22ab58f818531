namespace TextToImage.Training.Training;

/// <summary>
/// A CSV file of a run whose first column is the step. On resume, lines past the checkpoint's step
/// (written after the last save, then lost with the process) are dropped, so the file never shows
/// a step twice and matches the weights the run continues from.
/// </summary>
public sealed class StepCsv
{
    readonly string _path;
    readonly List<string[]> _rows = [];

    public StepCsv(string path, string header, long resumedStep)
    {
        _path = path;
        if (File.Exists(path))
            _rows.AddRange(File.ReadLines(path).Skip(1).Select(l => l.Split(','))
                .Where(f => long.TryParse(f[0], System.Globalization.CultureInfo.InvariantCulture, out var step) && step <= resumedStep));
        File.WriteAllLines(path, _rows.Select(f => string.Join(',', f)).Prepend(header));
    }

    public string FileName => Path.GetFileName(_path);

    /// <summary>The fields of every line after the header.</summary>
    public IReadOnlyList<string[]> Rows => _rows;

    public void Append(string line)
    {
        _rows.Add(line.Split(','));
        File.AppendAllLines(_path, [line]);
    }
}
