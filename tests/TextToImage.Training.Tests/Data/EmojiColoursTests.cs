using SkiaSharp;
using TextToImage.Training.Data;

namespace TextToImage.Training.Tests.Data;

public sealed class EmojiColoursTests
{
    [Theory]
    [InlineData(0xF8, 0xD1, 0x3A, "yellow")]   // a banana's yellow
    [InlineData(0xFF, 0xB0, 0x2E, "yellow")]   // Fluent's face
    [InlineData(0xE5, 0x1C, 0x23, "red")]
    [InlineData(0xFF, 0x8C, 0x00, "orange")]
    [InlineData(0x8B, 0x4A, 0x1C, "brown")]    // a dark orange
    [InlineData(0x2E, 0x9E, 0x3F, "green")]
    [InlineData(0x1E, 0x6F, 0xE8, "blue")]
    [InlineData(0x7B, 0x3F, 0xC4, "purple")]
    [InlineData(0xF4, 0x8F, 0xB1, "pink")]
    [InlineData(0xFA, 0xFA, 0xFA, "white")]
    [InlineData(0x80, 0x80, 0x80, "gray")]
    [InlineData(0x10, 0x10, 0x10, "black")]
    public void Names_a_colour_by_its_everyday_word(byte r, byte g, byte b, string word) =>
        Assert.Equal(word, EmojiColours.Words[EmojiColours.Name(r, g, b)]);

    [Fact]
    public void The_dominant_colour_covers_enough_of_the_drawing_and_transparent_pixels_do_not_count()
    {
        using var bitmap = new SKBitmap(new SKImageInfo(10, 10, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.Erase(SKColors.Transparent);
        Assert.Null(EmojiColours.Dominant(bitmap));                        // nothing drawn

        Fill(bitmap, rows: 0..3, new SKColor(0xF8, 0xD1, 0x3A));           // 30 yellow pixels, 70 transparent
        Assert.Equal("yellow", EmojiColours.Dominant(bitmap));

        Fill(bitmap, rows: 3..6, new SKColor(0x1E, 0x6F, 0xE8));           // 30 yellow, 30 blue: neither names the whole
        Fill(bitmap, rows: 6..8, new SKColor(0x2E, 0x9E, 0x3F));           // and 20 green
        Assert.Null(EmojiColours.Dominant(bitmap));
    }

    [Theory]
    [InlineData("banana", "yellow", "a yellow banana")]
    [InlineData("octopus", "orange", "an orange octopus")]
    [InlineData("red apple", "red", null)]            // the name already says its colour
    [InlineData("grey heart", "gray", null)]
    [InlineData("keycap: 1", "blue", null)]           // no thing to colour
    [InlineData("banana", null, null)]                // no dominant colour
    public void A_colour_caption_only_where_it_adds_a_word(string name, string? colour, string? caption) =>
        Assert.Equal(caption, EmojiColours.Caption(name, colour));

    static void Fill(SKBitmap bitmap, Range rows, SKColor colour)
    {
        for (var y = rows.Start.Value; y < rows.End.Value; y++)
        for (var x = 0; x < bitmap.Width; x++)
            bitmap.SetPixel(x, y, colour);
    }
}
