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
        var path = Path.GetFullPath(file);
        if (!File.Exists(path)) throw new FileNotFoundException($"The prompts file {path} does not exist.", path);
        var rowOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < data.Rows.Count; i++) rowOf.TryAdd(data.Rows[i].FileName, i);

        var prompts = new List<HeldOutPrompt>();
        var bad = new List<BadRow>();
        foreach (var (lineNumber, line) in ImageFolder.NonBlankLines(path))
        {
            var (fileName, texts, problem) = ImageFolder.ParseLine(line, "prompt", listAllowed: false);
            if (problem is null && !rowOf.ContainsKey(fileName!))
                problem = $"not a row of {Path.Combine(data.Folder, ImageFolder.MetadataFile)}";
            if (problem is null) prompts.Add(new HeldOutPrompt(texts![0], rowOf[fileName!]));
            else bad.Add(new BadRow(lineNumber, fileName, problem));
        }
        if (bad.Count > 0)
            throw new InvalidDataException($"{path}: {bad.Count} bad line(s):{Environment.NewLine}{BadRow.Listing(bad)}");
        return prompts.Count > 0 ? prompts : throw new InvalidDataException($"{path}: no prompts.");
    }
}
