using TextToImage.Training.Data;

namespace TextToImage.Training.Evaluation;

/// <summary>A prompt the model did not train on, and the dataset row whose image it asks for.</summary>
public sealed record HeldOutPrompt(string Text, int Row);

/// <summary>
/// <c>t2i eval --prompts FILE</c>: wording the model never saw ("a smiling cat"), each line naming
/// the training image it should still produce, in the layout of the image folder's own
/// <c>metadata.jsonl</c>: <c>{"file_name": "images/flat-cat-face.png", "text": "a smiling cat"}</c>.
/// Retrieval on the training captions says whether the model learned its data; on these it says
/// whether the text encoder carries the model to prompts a user would type.
/// </summary>
public static class HeldOutPrompts
{
    /// <exception cref="InvalidDataException">Any bad line (the message lists them all), or no prompt at all.</exception>
    public static IReadOnlyList<HeldOutPrompt> Load(string file, ImageFolder data)
    {
        var rowOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < data.Rows.Count; i++) rowOf.TryAdd(data.Rows[i].FileName, i);
        return Parse(file, fileName => rowOf.ContainsKey(fileName) ? null : $"not a row of {Path.Combine(data.Folder, ImageFolder.MetadataFile)}")
            .Select(p => new HeldOutPrompt(p.Text, rowOf[p.FileName])).ToList();
    }

    /// <summary>The prompts' texts alone, with no dataset to name rows of (<c>t2i dataset --held-out</c> keeps them out of the captions).</summary>
    /// <exception cref="InvalidDataException">As <see cref="Load"/>.</exception>
    public static IReadOnlyList<string> Texts(string file) => Parse(file, _ => null).Select(p => p.Text).ToList();

    /// <param name="rowProblem">What is wrong with a line's file name, or null.</param>
    static List<(string FileName, string Text)> Parse(string file, Func<string, string?> rowProblem)
    {
        var path = Path.GetFullPath(file);
        if (!File.Exists(path)) throw new FileNotFoundException($"The prompts file {path} does not exist.", path);
        var prompts = new List<(string, string)>();
        var bad = new List<BadRow>();
        foreach (var (lineNumber, line) in ImageFolder.NonBlankLines(path))
        {
            var (fileName, texts, problem) = ImageFolder.ParseLine(line, "prompt", listAllowed: false);
            problem ??= rowProblem(fileName!);
            if (problem is null) prompts.Add((fileName!, texts![0]));
            else bad.Add(new BadRow(lineNumber, fileName, problem));
        }
        if (bad.Count > 0)
            throw new InvalidDataException($"{path}: {bad.Count} bad line(s):{Environment.NewLine}{BadRow.Listing(bad)}");
        return prompts.Count > 0 ? prompts : throw new InvalidDataException($"{path}: no prompts.");
    }
}
