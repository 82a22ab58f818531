using TextToImage.Api.Tests.Support;
using Xunit.Abstractions;

namespace TextToImage.Api.Tests.Browser;

/// <summary>
/// The playground at / in a real browser (Browser/playground.mjs), on the bundled model: a prompt typed and sent
/// with Enter shows the base stage's images before the final ones, and "same seed again" makes the same PNG; a refused value is explained next to its field;
/// a long job is cancelled from the page; a mask painted with mouse and keyboard runs an inpainting of the first
/// result. Screenshots of each state are kept under TestResults/browser/playground in the test output.
/// </summary>
public sealed class PlaygroundBrowserTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_playground_generates_shows_each_stage_cancels_and_inpaints()
    {
        using var temp = new TempFolder();
        using var api = HostProcess.StartApi(temp["data"], new Dictionary<string, string> { ["Models__Folders__0"] = Path.Combine(RepoRoot.Path, "models") });
        await api.WaitUntilReadyAsync(TimeSpan.FromMinutes(3));

        var s = await BrowserScript.RunAsync("playground", api, temp["screenshots"], output, TimeSpan.FromMinutes(6));
        Assert.True(s.GetProperty("models").GetInt32() >= 1, s.ToString());

        var generated = s.GetProperty("generated");
        Assert.Equal("succeeded", generated.GetProperty("status").GetString());
        Assert.Equal(1, generated.GetProperty("images").GetInt32());
        // The bundled model's base (32 px) is shown as a stage while the job runs; the super-resolution's 128 px are the result.
        Assert.Equal([0], generated.GetProperty("stageOrder").EnumerateArray().Select(e => e.GetInt32()));
        Assert.True(generated.GetProperty("baseBeforeFinal").GetBoolean(), generated.ToString());

        var again = s.GetProperty("again");
        Assert.Equal("succeeded", again.GetProperty("status").GetString());
        Assert.True(again.GetProperty("sameBytes").GetBoolean(), "'Same seed again' made another picture");

        var fieldError = s.GetProperty("fieldError");
        Assert.Contains("steps must be between 1 and", fieldError.GetProperty("text").GetString());
        Assert.Equal("true", fieldError.GetProperty("invalid").GetString());

        Assert.Equal("canceled", s.GetProperty("canceled").GetProperty("status").GetString());

        var edit = s.GetProperty("edit");
        Assert.Equal("succeeded", edit.GetProperty("status").GetString());
        Assert.Equal("edit", edit.GetProperty("kind").GetString());
        Assert.True(edit.GetProperty("hasMask").GetBoolean(), edit.ToString());

        foreach (var name in new[] { "01-generated.png", "02-field-error.png", "03-canceled.png", "04-mask.png", "05-inpainted.png" })
            BrowserScript.AssertScreenshot(Path.Combine(temp["screenshots"], name), minWidth: 300, minHeight: 100);
    }

    [Fact]
    public async Task With_api_keys_configured_the_playground_asks_for_one_and_works_with_it()
    {
        using var temp = new TempFolder();
        using var api = HostProcess.StartApi(temp["data"], new Dictionary<string, string> { ["Api__ApiKeys__0"] = "playground-key" });
        await api.WaitUntilReadyAsync(TimeSpan.FromMinutes(2));

        var s = await BrowserScript.RunAsync("playground-key", api, temp["screenshots"], output, TimeSpan.FromMinutes(3),
            new Dictionary<string, string> { ["API_KEY"] = "playground-key" });
        Assert.Contains("needs an API key", s.GetProperty("asked").GetString());
        Assert.True(s.GetProperty("stored").GetBoolean());
        Assert.Equal("succeeded", s.GetProperty("status").GetString());
        Assert.True(s.GetProperty("imagesShown").GetInt32() >= 1, s.ToString());
    }
}
