using System.Text.Json;
using TextToImage.Diffusion.Text;

namespace TextToImage.Diffusion.Tests.Text;

/// <summary>IF's caption cleaning against diffusers' own <c>_clean_caption</c> (Fixtures/make_if_caption_fixture.py).</summary>
public sealed class IFCaptionCleanerTests
{
    [Fact]
    public void Every_fixture_prompt_is_cleaned_as_diffusers_cleans_it()
    {
        using var fixture = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Text", "Fixtures", "if-caption-cleaning.json")));
        var rows = fixture.RootElement.GetProperty("rows").EnumerateArray().ToList();
        Assert.True(rows.Count >= 25);
        var wrong = rows
            .Select(row => (Prompt: row.GetProperty("prompt").GetString()!, Expected: row.GetProperty("cleaned").GetString()!))
            .Select(row => (row.Prompt, row.Expected, Actual: IFCaptionCleaner.Clean(row.Prompt)))
            .Where(row => row.Actual != row.Expected)
            .Select(row => $"{JsonSerializer.Serialize(row.Prompt)}: expected {JsonSerializer.Serialize(row.Expected)}, got {JsonSerializer.Serialize(row.Actual)}")
            .ToList();
        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong));
    }
}
