using System.Text;
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using TextToImage.Diffusion.IO;

namespace TextToImage.Diffusion.Tests.IO;

public sealed class PngOutputTests
{
    static readonly GenerationMetadata Sample = new(
        Prompt: "a cat 🐱 reading in Zürich, 夜の図書館",
        NegativePrompt: "blurry, café lights",
        Seed: 1234567890123L,
        Steps: 30,
        Sampler: "euler_a",
        GuidanceScale: 7.5,
        Model: "sd15/v1-5-pruned-emaonly",
        Width: 16,
        Height: 8,
        Extra: new Dictionary<string, string> { ["scheduler"] = "karras", ["lora"] = "ink×0.8" });

    [Fact]
    public void Metadata_round_trips_including_emoji_and_cjk()
    {
        using var image = Gradient(16, 8);
        var png = PngOutput.Encode(image, Sample);

        var read = ImageOutput.ReadMetadata(new MemoryStream(png));

        Assert.Equal(Sample, read);
        Assert.Equal(Sample.Prompt, read!.Prompt);
        Assert.Equal("ink×0.8", read.Extra!["lora"]);
    }

    [Fact]
    public void A_missing_negative_prompt_and_extra_round_trip_as_null()
    {
        var metadata = Sample with { NegativePrompt = null, Extra = null };
        using var image = Gradient(4, 4);

        var read = ImageOutput.ReadMetadata(new MemoryStream(PngOutput.Encode(image, metadata)))!;

        Assert.Null(read.NegativePrompt);
        Assert.Null(read.Extra);
        Assert.Equal(metadata, read);
    }

    [Fact]
    public void Pixels_round_trip_exactly()
    {
        using var image = Gradient(37, 23);

        using var decoded = Image.Load<Rgb24>(PngOutput.Encode(image, Sample));

        Assert.Equal(Pixels(image), Pixels(decoded));
    }

    [Fact]
    public void Encoding_is_deterministic_and_ignores_metadata_already_on_the_image()
    {
        using var clean = Gradient(16, 8);
        using var tagged = Gradient(16, 8);
        tagged.Metadata.GetPngMetadata().TextData.Add(new PngTextData("Software", "something else", "", ""));
        tagged.Metadata.HorizontalResolution = 300;

        var first = PngOutput.Encode(clean, Sample);
        var second = PngOutput.Encode(clean, Sample);
        var fromTagged = PngOutput.Encode(tagged, Sample);

        Assert.Equal(first, second);
        Assert.Equal(first, fromTagged);
        // The caller's image is not altered by encoding.
        Assert.Single(tagged.Metadata.GetPngMetadata().TextData);
        Assert.Empty(clean.Metadata.GetPngMetadata().TextData);
    }

    [Fact]
    public void Different_metadata_gives_different_bytes()
    {
        using var image = Gradient(8, 8);
        Assert.NotEqual(PngOutput.Encode(image, Sample), PngOutput.Encode(image, Sample with { Seed = 1 }));
    }

    [Fact]
    public void Each_field_has_its_own_text_chunk_and_parameters_holds_json()
    {
        using var image = Gradient(16, 8);
        using var decoded = Image.Load<Rgb24>(PngOutput.Encode(image, Sample));
        var text = decoded.Metadata.GetPngMetadata().TextData.ToDictionary(t => t.Keyword, t => t.Value);

        Assert.Equal(Sample.Prompt, text["prompt"]);
        Assert.Equal(Sample.NegativePrompt, text["negative_prompt"]);
        Assert.Equal("1234567890123", text["seed"]);
        Assert.Equal("30", text["steps"]);
        Assert.Equal("euler_a", text["sampler"]);
        Assert.Equal("7.5", text["guidance_scale"]);
        Assert.Equal(Sample.Model, text["model"]);
        Assert.Equal("16", text["width"]);
        Assert.Equal("8", text["height"]);

        using var json = JsonDocument.Parse(text["parameters"]);
        Assert.Equal(Sample.Prompt, json.RootElement.GetProperty("prompt").GetString());
        Assert.Equal(7.5, json.RootElement.GetProperty("guidance_scale").GetDouble());
        Assert.Equal("karras", json.RootElement.GetProperty("extra").GetProperty("scheduler").GetString());
    }

    [Fact]
    public void Non_latin1_text_is_stored_as_utf8_itxt_and_ascii_as_text()
    {
        using var image = Gradient(4, 4);
        var png = PngOutput.Encode(image, Sample with { Sampler = "ddim" });

        // iTXt: keyword, NUL, compression flag 0, method 0, empty language tag and translated keyword, UTF-8 text.
        var itxtPrompt = Encoding.ASCII.GetBytes("iTXtprompt\0\0\0\0\0").Concat(Encoding.UTF8.GetBytes(Sample.Prompt)).ToArray();
        var textSampler = Encoding.ASCII.GetBytes("tEXtsampler\0ddim");

        Assert.True(Contains(png, itxtPrompt), "prompt should be an uncompressed UTF-8 iTXt chunk");
        Assert.True(Contains(png, textSampler), "an ASCII value should be a plain tEXt chunk");
    }

    [Fact]
    public void A_png_without_our_chunks_reads_back_null()
    {
        using var image = Gradient(4, 4);
        using var plain = new MemoryStream();
        image.SaveAsPng(plain);

        Assert.Null(ImageOutput.ReadMetadata(new MemoryStream(plain.ToArray())));
    }

    [Fact]
    public void Another_tools_parameters_chunk_reads_back_null()
    {
        // The AUTOMATIC1111 convention: "parameters" as plain text, not our JSON.
        using var image = Gradient(4, 4);
        image.Metadata.GetPngMetadata().TextData.Add(new PngTextData(
            "parameters", "a cat\nNegative prompt: dog\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1", "", ""));
        using var png = new MemoryStream();
        image.SaveAsPng(png);

        Assert.Null(ImageOutput.ReadMetadata(new MemoryStream(png.ToArray())));
    }

    [Fact]
    public void Bytes_that_are_not_an_image_are_rejected()
    {
        Assert.Throws<InvalidDataException>(() => ImageOutput.ReadMetadata(new MemoryStream(Encoding.ASCII.GetBytes("not an image at all"))));
    }

    [Fact]
    public void A_non_finite_guidance_scale_is_rejected()
    {
        using var image = Gradient(2, 2);
        Assert.Throws<ArgumentException>(() => PngOutput.Encode(image, Sample with { GuidanceScale = double.NaN }));
    }

    [Fact]
    public void Metadata_equality_compares_extra_by_content()
    {
        var copy = Sample with { Extra = new Dictionary<string, string>(Sample.Extra!) };
        Assert.Equal(Sample, copy);
        Assert.Equal(Sample.GetHashCode(), copy.GetHashCode());
        Assert.NotEqual(Sample, Sample with { Extra = new Dictionary<string, string> { ["scheduler"] = "karras" } });
        Assert.Equal(Sample with { Extra = null }, Sample with { Extra = new Dictionary<string, string>() });
    }

    static Image<Rgb24> Gradient(int width, int height)
    {
        var image = new Image<Rgb24>(width, height);
        for (var y = 0; y < height; y++)
        for (var x = 0; x < width; x++)
            image[x, y] = new Rgb24((byte)(x * 7 + y), (byte)(y * 11), (byte)(x * y));
        return image;
    }

    static Rgb24[] Pixels(Image<Rgb24> image)
    {
        var pixels = new Rgb24[image.Width * image.Height];
        image.CopyPixelDataTo(pixels);
        return pixels;
    }

    static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
