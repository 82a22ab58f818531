using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Networks;
using TextToImage.Diffusion.Pipelines;
using TextToImage.Diffusion.Samplers;
using TextToImage.Diffusion.Text;
using TextToImage.Training.Data;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TextToImage.Training.Training;

/// <summary>
/// Periodic samples of a run, from fixed captions and seeds so grids of different steps compare.
/// Base stage: one row of samples (the stage's default sampler, steps and guidance), under it the
/// training image of each caption. Super-resolution: per row, the low-resolution input (upsampled),
/// the stage's output and the real image. Captions go to a .txt beside the PNG.
/// </summary>
public static class SampleGrid
{
    const int Count = 8;

    public static void Write(string path, StageDefinition definition, UNet2DConditionModel network, Diffusion.Schedules.PredictionType objective,
        ImageFolder data, Tensor pixels, TextEmbeddingCache text, TrainingOptions options)
    {
        var rows = PickRows(data, options);
        network.eval();
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        var stage = definition.AsCascadeStage(network, Diffusion.Schedules.PredictionTypes.Name(objective));
        var settings = StageSettings.Resolve(stage, null);
        var real = pixels.index_select(0, tensor(rows.Select(r => (long)r).ToArray())).to_type(ScalarType.Float32).div(127.5).sub(1);

        var samples = new List<Tensor>();
        Tensor? lowUp = null;
        for (var i = 0; i < rows.Count; i++)
        {
            using var conditioning = Conditioning(text, rows[i], settings.UsesGuidance);
            using var noise = new PerSampleNoise([new Generator((ulong)(options.Seed + i))]);
            var sampler = new StageSampler(stage, settings, noise, ComputeTarget.Cpu, SamplingMode.PerImage);
            Tensor? low = null;
            if (definition.LowResolution is { } size)
                low = F.interpolate(real[i..(i + 1)], [size, size], mode: InterpolationMode.Area);
            samples.Add(sampler.Sample(1, conditioning, low, null, (_, _) => { }, CancellationToken.None).clamp(-1, 1));
        }
        if (definition.LowResolution is { } lowSize)
        {
            var res = definition.Resolution;
            lowUp = F.interpolate(F.interpolate(real, [lowSize, lowSize], mode: InterpolationMode.Area), [res, res], mode: InterpolationMode.Nearest);
        }
        var generated = cat(samples, 0);
        var gridRows = lowUp is null ? new[] { generated, real } : new[] { lowUp, generated, real };
        SaveGrid(path, gridRows);
        File.WriteAllLines(Path.ChangeExtension(path, ".txt"), rows.Select((r, i) => $"{i}: {data.Rows[r].Text} (seed {options.Seed + i})"));
        network.train();
    }

    /// <summary>The caption rows sampled: the options' prompts, else 8 rows of a seeded shuffle.</summary>
    static IReadOnlyList<int> PickRows(ImageFolder data, TrainingOptions options)
    {
        if (options.SamplePrompts.Count > 0)
            return options.SamplePrompts.Select(p =>
            {
                var row = data.Rows.ToList().FindIndex(r => r.Text == p);
                return row >= 0 ? row : throw new ArgumentException($"Sample prompt '{p}' is not a caption of the dataset.");
            }).ToList();
        var random = new Random((int)(options.Seed & 0x7FFFFFFF));
        return Enumerable.Range(0, data.Rows.Count).OrderBy(_ => random.Next()).Take(Math.Min(Count, data.Rows.Count)).ToList();
    }

    static TextEmbeddings Conditioning(TextEmbeddingCache text, int row, bool guided)
    {
        using var scope = NewDisposeScope();
        var states = text.States[row..(row + 1)];
        var mask = text.Mask[row..(row + 1)];
        if (guided)
        {
            states = cat([states, text.EmptyStates], 0);
            mask = cat([mask, text.EmptyMask], 0);
        }
        return new TextEmbeddings(states, mask, zeros(states.shape[0], states.shape[2]));
    }

    /// <summary>Rows of [-1, 1] images (the same size) as one PNG, white where a row is shorter.</summary>
    internal static void SaveGrid(string path, IReadOnlyList<Tensor> rows)
    {
        var images = rows.Select(ImageTensors.ToImages).ToList();
        var size = images[0][0].Width;
        using var grid = new Image<Rgb24>(size * images[0].Length, size * images.Count, new Rgb24(255, 255, 255));
        grid.Mutate(g =>
        {
            for (var r = 0; r < images.Count; r++)
                for (var c = 0; c < images[r].Length; c++)
                    g.DrawImage(images[r][c], new Point(c * size, r * size), 1f);
        });
        foreach (var image in images.SelectMany(i => i)) image.Dispose();
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.Write(path, stream => grid.SaveAsPng(stream));
    }
}
