using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Pipelines;
using static TextToImage.Testing.T2iProcess;

namespace TextToImage.Cli.Tests;

/// <summary><c>t2i edit</c> and <c>t2i upscale</c> run as a user runs them: the built CLI, its own process, files in and out.</summary>
public sealed class ImageCommandsTests
{
    static void Save(Image image, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        image.SaveAsPng(path);
    }

    static byte[] Pixels(string path)
    {
        using var image = Image.Load<Rgb24>(path);
        var bytes = new byte[image.Width * image.Height * 3];
        image.CopyPixelDataTo(bytes);
        return bytes;
    }

    [Fact]
    public void Edit_and_upscale_write_pngs_of_the_requested_sizes()
    {
        using var temp = new TempFolder();
        RandomCascade.Create(temp["model"], "tiny", seed: 3);
        using (var picture = new Image<Rgb24>(64, 64))
        {
            for (var y = 0; y < 64; y++)
                for (var x = 0; x < 64; x++)
                    picture[x, y] = new Rgb24((byte)(4 * x), (byte)(4 * y), 128);
            Save(picture, temp["in/picture.png"]);
        }
        using (var mask = new Image<L8>(64, 64))
        {
            for (var y = 16; y < 48; y++)
                for (var x = 16; x < 48; x++)
                    mask[x, y] = new L8(255);
            Save(mask, temp["in/mask.png"]);
        }

        // Strength 0: the picture comes back, pixel for pixel.
        var (code, output) = Run("edit", "--model", temp["model"], "--image", temp["in/picture.png"], "--prompt", "a red apple",
            "--strength", "0", "--seed", "1", "--device", "cpu", "--out", temp["out/same.png"]);
        Assert.True(code == 0, output);
        Assert.Equal(Pixels(temp["in/picture.png"]), Pixels(temp["out/same.png"]));

        (code, output) = Run("edit", "--model", temp["model"], "--image", temp["in/picture.png"], "--mask", temp["in/mask.png"],
            "--prompt", "a red apple", "--steps", "3", "--seed", "2", "--resolution", "32", "--jump-length", "1", "--jump-count", "1",
            "--device", "cpu", "--out", temp["out/inpainted.png"]);
        Assert.True(code == 0, output);
        using (var stream = File.OpenRead(temp["out/inpainted.png"]))
            Assert.Equal((32, 32, 2L), ImageOutput.ReadMetadata(stream) is { } m ? (m.Width, m.Height, m.Seed) : default);

        (code, output) = Run("upscale", "--model", temp["model"], "--image", temp["in/picture.png"], "--noise-level", "50",
            "--seed", "3", "--resolution", "32", "--device", "cpu", "--out", temp["out/up.png"]);
        Assert.True(code == 0, output);
        using (var up = Image.Load(temp["out/up.png"])) Assert.Equal((32, 32), (up.Width, up.Height));

        // A mask of another size is a user error: one line, exit code 1, no file.
        using (var small = new Image<L8>(8, 8)) Save(small, temp["in/small.png"]);
        (code, output) = Run("edit", "--model", temp["model"], "--image", temp["in/picture.png"], "--mask", temp["in/small.png"],
            "--device", "cpu", "--out", temp["out/never.png"]);
        Assert.Equal(1, code);
        Assert.Contains("8x8", output);
        Assert.False(File.Exists(temp["out/never.png"]));
    }
}
