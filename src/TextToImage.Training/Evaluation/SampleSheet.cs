using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Pipelines;
using TextToImage.Training.Data;
using TextToImage.Training.Training;
using static TorchSharp.torch;

namespace TextToImage.Training.Evaluation;

/// <summary>
/// A model card's sample grid (<c>t2i eval --grid</c>): the whole cascade with its defaults, as the
/// service runs it, for captions of the dataset (image i with seed + i), each above the caption's
/// real image at the final resolution; the captions go to a .txt beside the PNG.
/// </summary>
public static class SampleSheet
{
    /// <param name="data">Image folder whose rows' images are the real ones (the largest resolution at hand).</param>
    public static void Write(string path, CascadeModel model, ImageFolder data, IReadOnlyList<int> rows, long seed,
        Action<string>? log = null, CancellationToken cancellation = default)
    {
        using var finalizers = FinalizerGate.Hold();
        using var scope = NewDisposeScope();
        var pipeline = new CascadePipeline(model);
        var size = model.Resolutions[^1];
        var generated = new List<Tensor>();
        foreach (var (row, i) in rows.Select((r, i) => (r, i)))
        {
            using var result = pipeline.Generate(new GenerationRequest { Prompt = data.Rows[row].Text, Seed = seed + i }, cancellation: cancellation);
            generated.Add(result.Final.Images.to(CPU).to_type(ScalarType.Float32).clamp(-1, 1));
            log?.Invoke($"grid: {i + 1}/{rows.Count} {data.Rows[row].Text}");
        }
        SampleGrid.SaveGrid(path, [cat(generated, 0), ModelEvaluator.LoadImages(data, rows, size)]);
        File.WriteAllLines(Path.ChangeExtension(path, ".txt"), rows.Select((r, i) => $"{i + 1}: {data.Rows[r].Text} (seed {seed + i})"));
    }
}
