using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TextToImage.Diffusion.Pipelines;

namespace TextToImage.Testing;

/// <summary>
/// A random tiny cascade (16 px base, 32 px super-resolution, hashed text) and a four-image dataset at both
/// sizes, in a temp folder: what the trainer's tests train in-process (with TrainingOptions from TinyTrainingOptions there) and the CLI's tests pass to t2i.
/// </summary>
public sealed class TinyTrainingSetup : IDisposable
{
    static readonly (string Caption, Rgba32 Colour)[] Images =
    [
        ("a red square", new Rgba32(220, 30, 30, 255)),
        ("a green square", new Rgba32(30, 200, 60, 255)),
        ("a blue square", new Rgba32(40, 60, 220, 255)),
        ("a yellow square", new Rgba32(240, 220, 40, 255)),
    ];

    /// <summary>Hugging Face imagefolder's captions file (what ImageFolder.MetadataFile names; kept here so this project needs no trainer).</summary>
    public const string MetadataFile = "metadata.jsonl";

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
            File.WriteAllLines(Path.Combine(folder, MetadataFile), lines);
        }
    }

    public string Model => _temp["model"];
    public string Data(int size) => _temp[$"data{size}"];
    public string Run(string name) => _temp["runs/" + name];

    public void Dispose() => _temp.Dispose();
}
