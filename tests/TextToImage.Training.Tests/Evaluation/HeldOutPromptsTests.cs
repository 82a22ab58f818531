using SixLabors.ImageSharp.PixelFormats;
using TextToImage.Training.Data;
using TextToImage.Training.Evaluation;
using TextToImage.Training.Tests.Data;

namespace TextToImage.Training.Tests.Evaluation;

public sealed class HeldOutPromptsTests : IDisposable
{
    readonly TempFolder _folder = new();

    [Fact]
    public void Each_prompt_names_its_row_by_file_name()
    {
        var data = TwoRowFolder();
        File.WriteAllLines(_folder["prompts.jsonl"],
        [
            """{"file_name": "blue.png", "text": " a sky-coloured square "}""",
            "",
            """{"file_name": "red.png", "text": "a square the colour of blood"}""",
            """{"file_name": "blue.png", "text": "the sea"}""",
        ]);

        var prompts = HeldOutPrompts.Load(_folder["prompts.jsonl"], data);

        Assert.Equal([new("a sky-coloured square", 1), new("a square the colour of blood", 0), new("the sea", 1)], prompts);
    }

    [Fact]
    public void Bad_lines_are_all_listed_with_their_line_and_nothing_is_loaded()
    {
        var data = TwoRowFolder();
        File.WriteAllLines(_folder["prompts.jsonl"],
        [
            """{"file_name": "red.png", "text": "fine"}""",
            """{"file_name": "green.png", "text": "not in the data"}""",
            """{"file_name": "red.png"}""",
            """{"text": "no file"}""",
            """{"file_name": "red.png", """,
            """["red.png", "a list"]""",
            """{"file_name": "red.png", "text": ["two", "prompts"]}""",
        ]);

        var failure = Assert.Throws<InvalidDataException>(() => HeldOutPrompts.Load(_folder["prompts.jsonl"], data));

        Assert.Contains("6 bad line(s)", failure.Message);
        Assert.Contains($"line 2 (green.png): not a row of {Path.Combine(data.Folder, ImageFolder.MetadataFile)}", failure.Message);
        Assert.Contains("line 3 (red.png): empty or missing \"text\" prompt", failure.Message);
        Assert.Contains("line 4: no \"file_name\" string", failure.Message);
        Assert.Contains("line 5: invalid JSON", failure.Message);
        Assert.Contains("line 6: not a JSON object", failure.Message);
        Assert.Contains("line 7 (red.png): empty or missing \"text\" prompt", failure.Message);   // one prompt per line, not a list
        Assert.DoesNotContain("line 1", failure.Message);
    }

    [Fact]
    public void A_missing_or_empty_file_is_refused_by_name()
    {
        var data = TwoRowFolder();
        var path = _folder["prompts.jsonl"];
        Assert.Contains(path, Assert.Throws<FileNotFoundException>(() => HeldOutPrompts.Load(path, data)).Message);
        File.WriteAllText(path, "\n\n");
        Assert.Contains("no prompts", Assert.Throws<InvalidDataException>(() => HeldOutPrompts.Load(path, data)).Message);
    }

    ImageFolder TwoRowFolder()
    {
        ImageFolderTests.WritePng(_folder["red.png"], new Rgba32(255, 0, 0, 255));
        ImageFolderTests.WritePng(_folder["blue.png"], new Rgba32(0, 0, 255, 255));
        File.WriteAllLines(_folder[ImageFolder.MetadataFile],
        [
            """{"file_name": "red.png", "text": "red square, flat style"}""",
            """{"file_name": "blue.png", "text": "blue square, flat style"}""",
        ]);
        return ImageFolder.Open(_folder.Path);
    }

    public void Dispose() => _folder.Dispose();
}
