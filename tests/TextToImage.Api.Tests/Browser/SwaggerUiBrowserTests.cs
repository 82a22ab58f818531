using TextToImage.Api.Tests.Support;
using Xunit.Abstractions;

namespace TextToImage.Api.Tests.Browser;

/// <summary>
/// End to end through a real browser: the built API runs as its own process on 127.0.0.1 with the tiny random model,
/// and headless chromium (Debian's, driven by playwright-core from Node; see Browser/swagger-ui.mjs) queues a
/// generation through the Swagger UI's "Try it out", reads the 202 and the id from the page, and follows the job to
/// <c>succeeded</c>. The screenshots are kept under TestResults/browser/swagger-ui in the test output.
/// </summary>
public sealed class SwaggerUiBrowserTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Swagger_ui_try_it_out_queues_a_generation_that_succeeds()
    {
        using var temp = new TempFolder();
        using var api = HostProcess.StartApi(temp["data"]);
        await api.WaitUntilReadyAsync(TimeSpan.FromMinutes(2));

        var s = await BrowserScript.RunAsync("swagger-ui", api, temp["screenshots"], output, TimeSpan.FromMinutes(3));
        Assert.Equal(202, s.GetProperty("statusCode").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(s.GetProperty("id").GetString()), s.ToString());
        Assert.Equal("succeeded", s.GetProperty("finalStatus").GetString());
        foreach (var name in new[] { "01-after-execute.png", "02-final.png" })
            BrowserScript.AssertScreenshot(Path.Combine(temp["screenshots"], name));
    }
}
