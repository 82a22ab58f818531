using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TextToImage.Training.Data;

namespace TextToImage.Training.Tests.Data;

public sealed class ImageFolderTests
{
    [Fact]
    public void Bad_rows_are_reported_with_their_line_and_skipped_or_fail_the_run()
    {
        using var folder = new TempFolder();
        WritePng(folder["good.png"], new Rgba32(255, 0, 0, 255));
        File.WriteAllText(folder["broken.png"], "not a png");
        File.WriteAllLines(folder[ImageFolder.MetadataFile],
        [
            """{"file_name": "good.png", "text": "a red square"}""",
            """{"file_name": "missing.png", "text": "gone"}""",
            """{"file_name": "broken.png", "text": "corrupt"}""",
            """{"file_name": "good.png", "text": "  "}""",
            """{"file_name": "good.png" """,
            "",
            """{"file_name": "../outside.png", "text": "escape"}""",
        ]);

        var failure = Assert.Throws<InvalidDataException>(() => ImageFolder.Open(folder.Path));
        Assert.Contains("5 bad row(s)", failure.Message);
        Assert.Contains("line 2 (missing.png): file not found", failure.Message);
        Assert.Contains("line 3 (broken.png): cannot be decoded", failure.Message);
        Assert.Contains("line 4 (good.png): empty or missing \"text\" caption", failure.Message);
        Assert.Contains("line 5: invalid JSON", failure.Message);
        Assert.Contains("line 7 (../outside.png): file_name points outside the folder", failure.Message);

        var skipped = ImageFolder.Open(folder.Path, BadRowPolicy.Skip);
        Assert.Equal("a red square", Assert.Single(skipped.Rows).Text);
        Assert.Equal([2, 3, 4, 5, 7], skipped.BadRows.Select(b => b.Line));
    }

    [Fact]
    public void A_row_may_have_a_list_of_captions_and_the_first_is_its_caption()
    {
        using var folder = new TempFolder();
        WritePng(folder["cat.png"], new Rgba32(255, 200, 0, 255));
        File.WriteAllLines(folder[ImageFolder.MetadataFile],
        [
            """{"file_name": "cat.png", "text": ["cat face, flat style", " a cat face ", "kitten"]}""",
            """{"file_name": "cat.png", "text": ["cat face", ""]}""",
            """{"file_name": "cat.png", "text": ["cat face", 3]}""",
            """{"file_name": "cat.png", "text": []}""",
        ]);

        var failure = Assert.Throws<InvalidDataException>(() => ImageFolder.Open(folder.Path));
        Assert.Contains("line 2 (cat.png): an empty or non-string caption in the \"text\" list", failure.Message);
        Assert.Contains("line 3 (cat.png): an empty or non-string caption in the \"text\" list", failure.Message);
        Assert.Contains("line 4 (cat.png): empty or missing \"text\" caption (a string or a list of strings)", failure.Message);
        var row = Assert.Single(ImageFolder.Open(folder.Path, BadRowPolicy.Skip).Rows);
        Assert.Equal(["cat face, flat style", "a cat face", "kitten"], row.Captions);
        Assert.Equal("cat face, flat style", row.Text);
    }

    [Fact]
    public void A_folder_without_metadata_or_usable_rows_is_refused_by_name()
    {
        using var folder = new TempFolder();
        Assert.Contains("no metadata.jsonl", Assert.Throws<FileNotFoundException>(() => ImageFolder.Open(folder.Path)).Message);
        File.WriteAllText(folder[ImageFolder.MetadataFile], """{"file_name": "x.png", "text": "x"}""");
        Assert.Contains("no usable rows", Assert.Throws<InvalidDataException>(() => ImageFolder.Open(folder.Path, BadRowPolicy.Skip)).Message);
    }

    [Fact]
    public void Pixels_are_resized_and_transparency_lands_on_white()
    {
        using var folder = new TempFolder();
        using (var image = new Image<Rgba32>(8, 8, new Rgba32(0, 0, 0, 0)))
        {
            image[0, 0] = new Rgba32(0, 0, 255, 255);
            image.SaveAsPng(folder["a.png"]);
        }
        File.WriteAllText(folder[ImageFolder.MetadataFile], """{"file_name": "a.png", "text": "a dot"}""");
        var pixels = ImageFolder.Open(folder.Path).LoadPixels(4);
        Assert.Equal(4 * 4 * 3, pixels.Length);
        Assert.Equal(new byte[] { 255, 255, 255 }, pixels[^3..]);           // transparent corner: white
        Assert.True(pixels[2] > pixels[0], "the blue dot survives the resize in the first pixel");
    }

    internal static void WritePng(string path, Rgba32 colour, int size = 8)
    {
        using var image = new Image<Rgba32>(size, size, colour);
        image.SaveAsPng(path);
    }
}
