using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TextToImage.Diffusion.Pipelines;
using TextToImage.Training.Data;
using TextToImage.Training.Training;

namespace TextToImage.Training.Tests.Training;

/// <summary>A random tiny cascade (16 px base, 32 px super-resolution, hashed text) and a four-image dataset at both sizes.</summary>
public sealed class TinyTrainingSetup : IDisposable
{
    static readonly (string Caption, Rgba32 Colour)[] Images =
    [
        ("a red square", new Rgba32(220, 30, 30, 255)),
        ("a green square", new Rgba32(30, 200, 60, 255)),
        ("a blue square", new Rgba32(40, 60, 220, 255)),
        ("a yellow square", new Rgba32(240, 220, 40, 255)),
    ];

    readonly TempFolder _temp = new();

    public TinyTrainingSetup()
    {
        RandomCascade.Create(Model, "tiny", seed: 3);
        foreach (var size in new[] { 16, 32 })
        {
            var folder = Data(size);
            Directory.CreateDirectory(folder);
            var lines = new List<string>();
            for (var i = 0; i < Images.Length; i++)
            {
                // A coloured square on white, a quarter of the image in from each side.
                using var image = new Image<Rgba32>(size, size, new Rgba32(255, 255, 255, 255));
                for (var y = size / 4; y < 3 * size / 4; y++)
                    for (var x = size / 4; x < 3 * size / 4; x++)
                        image[x, y] = Images[i].Colour;
                image.SaveAsPng(Path.Combine(folder, $"{i}.png"));
                lines.Add($$"""{"file_name": "{{i}}.png", "text": "{{Images[i].Caption}}"}""");
            }
            File.WriteAllLines(Path.Combine(folder, ImageFolder.MetadataFile), lines);
        }
    }

    public string Model => _temp.Sub("model");
    public string Data(int size) => _temp.Sub($"data{size}");
    public string Run(string name) => _temp.Sub("runs/" + name);

    public TrainingOptions Options(string stage = "base", int steps = 6) => new()
    {
        ModelFolder = Model,
        Stage = stage,
        DataFolder = Data(stage == "base" ? 16 : 32),
        MaxSteps = steps,
        BatchSize = 4,
        WarmupSteps = 2,
        LogEvery = 2,
        CheckpointEvery = 3,
        SampleEvery = 1000,
        Seed = 1,
    };

    public void Dispose() => _temp.Dispose();
}
