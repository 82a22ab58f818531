using TextToImage.Api.Tests.Support;

namespace TextToImage.Api.Tests.OpenApi;

/// <summary>
/// An integrator's client: Kiota 1.38 generates C# from the live document into tests/generated-client/Generated, and that
/// program (tests/generated-client/Program.cs) generates, polls, downloads image bytes, follows events, uploads an edit and
/// reads typed problems for 400, 404, 409 and 429 through it.
/// </summary>
public sealed class GeneratedClientTests
{
    [Fact]
    public async Task A_kiota_client_made_from_the_live_document_drives_the_api()
    {
        using var open = new ApiHost();
        using var limited = new ApiHost(new Dictionary<string, string?> { ["Api:RateLimitPerSecond"] = "1", ["Api:RateLimitBurst"] = "1" });
        using var api = open.Client();
        await api.WaitUntilReady();
        using var temp = new TempFolder();
        var document = temp["openapi.json"];
        File.WriteAllText(document, await api.Http.GetStringAsync("/swagger/v1/swagger.json"));

        var project = Path.Combine(RepoRoot.Path, "tests", "generated-client");
        var kiota = Commands.Run(DotnetTools.Command("Microsoft.OpenApi.Kiota", "1.38.0", "kiota"),
            ["generate", "-l", "CSharp", "-d", document, "-o", Path.Combine(project, "Generated"), "-n", "T2i.Client", "-c", "TextToImageClient",
             "--exclude-backward-compatible", "--clean-output", "--log-level", "Warning"],
            new Dictionary<string, string> { ["KIOTA_TUTORIAL_ENABLED"] = "false", ["KIOTA_OFFLINE_ENABLED"] = "true" });
        Assert.True(kiota.ExitCode == 0, $"kiota generate:\n{kiota.Output}");
        Assert.DoesNotContain("OpenAPI warning", kiota.Output);   // Kiota reads every part of the document

        var run = Commands.Run("dotnet", ["run", "--project", project, "--", api.Http.BaseAddress!.ToString(), limited.Client().Http.BaseAddress!.ToString()]);
        Assert.True(run.ExitCode == 0, $"the generated client's program:\n{run.Output}");
        Assert.Equal(9, run.Output.Split('\n').Count(line => line.StartsWith("ok: ", StringComparison.Ordinal)));
    }
}
