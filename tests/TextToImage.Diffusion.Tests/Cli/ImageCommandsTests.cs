using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Pipelines;
using static TextToImage.Diffusion.Tests.Cli.T2iProcess;

namespace TextToImage.Diffusion.Tests.Cli;

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
        RandomCascade.Create(temp.File("model"), "tiny", seed: 3);
        using (var picture = new Image<Rgb24>(64, 64))
        {
            for (var y = 0; y < 64; y++)
                for (var x = 0; x < 64; x++)
                    picture[x, y] = new Rgb24((byte)(4 * x), (byte)(4 * y), 128);
            Save(picture, temp.File("in/picture.png"));
        }
        using (var mask = new Image<L8>(64, 64))
        {
            for (var y = 16; y < 48; y++)
                for (var x = 16; x < 48; x++)
                    mask[x, y] = new L8(255);
            Save(mask, temp.File("in/mask.png"));
        }

        // Strength 0: the picture comes back, pixel for pixel.
        var (code, output) = Run("edit", "--model", temp.File("model"), "--image", temp.File("in/picture.png"), "--prompt", "a red apple",
            "--strength", "0", "--seed", "1", "--device", "cpu", "--out", temp.File("out/same.png"));
        Assert.True(code == 0, output);
        Assert.Equal(Pixels(temp.File("in/picture.png")), Pixels(temp.File("out/same.png")));

        (code, output) = Run("edit", "--model", temp.File("model"), "--image", temp.File("in/picture.png"), "--mask", temp.File("in/mask.png"),
            "--prompt", "a red apple", "--steps", "3", "--seed", "2", "--resolution", "32", "--jump-length", "1", "--jump-count", "1",
            "--device", "cpu", "--out", temp.File("out/inpainted.png"));
        Assert.True(code == 0, output);
        using (var stream = File.OpenRead(temp.File("out/inpainted.png")))
            Assert.Equal((32, 32, 2L), PngOutput.ReadMetadata(stream) is { } m ? (m.Width, m.Height, m.Seed) : default);

        (code, output) = Run("upscale", "--model", temp.File("model"), "--image", temp.File("in/picture.png"), "--noise-level", "50",
            "--seed", "3", "--resolution", "32", "--device", "cpu", "--out", temp.File("out/up.png"));
        Assert.True(code == 0, output);
        using (var up = Image.Load(temp.File("out/up.png"))) Assert.Equal((32, 32), (up.Width, up.Height));

        // A mask of another size is a user error: one line, exit code 1, no file.
        using (var small = new Image<L8>(8, 8)) Save(small, temp.File("in/small.png"));
        (code, output) = Run("edit", "--model", temp.File("model"), "--image", temp.File("in/picture.png"), "--mask", temp.File("in/small.png"),
            "--device", "cpu", "--out", temp.File("out/never.png"));
        Assert.Equal(1, code);
        Assert.Contains("8x8", output);
        Assert.False(File.Exists(temp.File("out/never.png")));
    }
}
