using TextToImage.Training.Data;
using TextToImage.Training.Evaluation;

namespace TextToImage.Training.Training;

/// <summary>
/// <c>t2i train --eval-prompts FILE</c>: wordings the run never trains on (<see cref="HeldOutPrompts"/>),
/// each naming the training image it should draw, with their text embeddings encoded once by the
/// stage's own encoder (cached beside the data, as the captions are). <see cref="StageMetric"/>
/// measures them at every measurement, so a run reports how far its text conditioning reaches
/// beyond its captions as it trains; they are read only to measure, never to train.
/// </summary>
public sealed class HeldOutPromptSet : IDisposable
{
    HeldOutPromptSet(string file, IReadOnlyList<HeldOutPrompt> prompts, TextEmbeddingCache text) =>
        (File, Prompts, Text) = (file, prompts, text);

    /// <summary>The prompts file's full path.</summary>
    public string File { get; }

    public IReadOnlyList<HeldOutPrompt> Prompts { get; }

    /// <summary>The prompts' embeddings (and the empty prompt's, for guidance), in the form the stage attends to.</summary>
    public TextEmbeddingCache Text { get; }

    /// <exception cref="ArgumentException">The stage is a super-resolution stage (measured by PSNR and SSIM, not by prompts).</exception>
    /// <exception cref="InvalidDataException">A line of the file is unusable or names no row of <paramref name="data"/> (all such lines are listed).</exception>
    public static HeldOutPromptSet Load(string file, StageDefinition stage, ImageFolder data, Action<string>? log = null)
    {
        if (stage.LowResolution is not null)
            throw new ArgumentException($"--eval-prompts measures a base stage by retrieval; '{stage.Entry.Name}' is a super-resolution stage, measured by PSNR and SSIM.");
        var prompts = HeldOutPrompts.Load(file, data);
        var text = TextEmbeddingCache.Load(data.Folder, stage.TextEncoderFolder, prompts.Select(p => (IReadOnlyList<string>)[p.Text]).ToList(),
            stage.Entry.TextInput, log);
        return new HeldOutPromptSet(Path.GetFullPath(file), prompts, text);
    }

    public void Dispose() => Text.Dispose();
}
