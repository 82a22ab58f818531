using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TextToImage.Training.Data;

namespace TextToImage.Training.Tests.Data;

public sealed class FluentEmojiDatasetTests
{
    const string RedCircle = """<svg xmlns="http://www.w3.org/2000/svg" fill="none" viewBox="0 0 32 32"><circle cx="16" cy="16" r="10" fill="#ff0000"/></svg>""";
    const string BlueSquare = """<svg xmlns="http://www.w3.org/2000/svg" fill="none" viewBox="0 0 32 32"><rect x="8" y="8" width="16" height="16" fill="#0000ff"/></svg>""";

    [Theory]
    [InlineData("cat-face", "cat face", null)]
    [InlineData("man-surfing-medium-dark", "man surfing", "medium-dark")]
    [InlineData("man-surfing-dark", "man surfing", "dark")]
    [InlineData("man-surfing-default", "man surfing", null)]
    [InlineData("vertical-traffic-light", "vertical traffic light", null)]   // no "-default" sibling: not a skin tone
    public void Captions_come_from_names_and_skin_tones_only_where_a_default_exists(string stem, string name, string? tone)
    {
        var stems = new HashSet<string> { "man-surfing-default", "man-surfing-dark", "man-surfing-medium-dark", "vertical-traffic-light", "cat-face" };
        var parsed = EmojiCaptions.Parse(stem, stems);
        Assert.Equal((name, tone), (parsed.Name, parsed.SkinTone));
        Assert.Equal(tone is null ? $"{name}, flat style" : $"{name}, {tone} skin tone, flat style", EmojiCaptions.Caption(parsed.Name, parsed.SkinTone, "flat"));
    }

    [Fact]
    public void Writes_one_image_folder_per_size_with_the_same_rows_on_white()
    {
        using var temp = new TempFolder();
        var package = temp["package"];
        foreach (var style in new[] { "flat", "modern" })
        {
            Directory.CreateDirectory(Path.Combine(package, "icons", style));
            File.WriteAllText(Path.Combine(package, "icons", style, "red-circle.svg"), RedCircle);
            File.WriteAllText(Path.Combine(package, "icons", style, "hand-default.svg"), BlueSquare);
            File.WriteAllText(Path.Combine(package, "icons", style, "hand-dark.svg"), BlueSquare);
        }

        var count = FluentEmojiDataset.Write(package, temp["out"], [16, 64], new FluentEmojiSelection { SkinTones = false });

        Assert.Equal(4, count);                                   // 2 styles x (red circle, default hand); the dark hand is left out
        var small = ImageFolder.Open(temp["out/16"]);
        var large = ImageFolder.Open(temp["out/64"]);
        Assert.Equal(small.Rows.Select(r => (r.FileName, r.Text)), large.Rows.Select(r => (r.FileName, r.Text)));
        Assert.Equal(["hand, flat style", "red circle, flat style", "hand, modern style", "red circle, modern style"], small.Rows.Select(r => r.Text));

        using var circle = Image.Load<Rgb24>(large.Rows[1].Path);
        Assert.Equal((64, 64), (circle.Width, circle.Height));
        Assert.Equal(new Rgb24(255, 255, 255), circle[1, 1]);    // background
        Assert.Equal(new Rgb24(255, 0, 0), circle[32, 32]);      // the circle, scaled from the 32 px view box
    }

    [Fact]
    public void A_folder_that_is_not_the_package_says_so()
    {
        using var temp = new TempFolder();
        var error = Assert.Throws<DirectoryNotFoundException>(() => FluentEmojiDataset.List(temp.Path, new FluentEmojiSelection()));
        Assert.Contains("not the unpacked fluentui-emoji package", error.Message);
    }
}
