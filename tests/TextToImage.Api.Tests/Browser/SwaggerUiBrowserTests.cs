using System.Text;
using System.Text.Json;
using TextToImage.Api.Tests.Support;
using Xunit.Abstractions;


namespace TextToImage.Api.Tests.Browser;

/// <summary>
/// End to end through a real browser: the built API runs as its own process on 127.0.0.1 with the tiny random model,
/// and headless chromium (Debian's, driven by playwright-core from Node; see Browser/swagger-ui.mjs) queues a
/// generation through the Swagger UI's "Try it out", reads the 202 and the id from the page, and follows the job to
/// <c>succeeded</c>. deploy/browser.sh installs chromium and playwright-core first; when it cannot, the test fails.
/// The screenshots are kept under TestResults/browser in the test output.
/// </summary>
public sealed class SwaggerUiBrowserTests(ITestOutputHelper output)
{
    // Failure guards only: none of these is a performance assertion.
    static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(15);
    static readonly TimeSpan ReadyTimeout = TimeSpan.FromMinutes(2);
    static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task Swagger_ui_try_it_out_queues_a_generation_that_succeeds()
    {
        var root = RepoRoot.Path;
        var install = await Commands.RunAsync("bash", [Path.Combine(root, "deploy", "browser.sh")], root, InstallTimeout);
        output.WriteLine(install.Output);
        Assert.True(install.ExitCode == 0,
            $"deploy/browser.sh could not install the browser test's tools (exit code {install.ExitCode}):{Environment.NewLine}{install.Output}");

        var temp = Directory.CreateTempSubdirectory("t2i-browser-test-").FullName;
        HostProcess? api = null;
        try
        {
            api = HostProcess.StartApi(Path.Combine(temp, "data"));
            output.WriteLine($"API: {api.BaseUrl} (pid {api.Process.Id})");
            await api.WaitUntilReadyAsync(ReadyTimeout);

            var screenshots = Path.Combine(temp, "screenshots");
            var script = Path.Combine(AppContext.BaseDirectory, "Browser", "swagger-ui.mjs");
            Assert.True(File.Exists(script), $"{script} is missing from the test output.");
            var run = await Commands.RunAsync("node", [script, api.BaseUrl!, screenshots], root, ScriptTimeout,
                new() { ["PLAYWRIGHT_CORE_DIR"] = Path.Combine(root, ".tools", "browser") });
            output.WriteLine(run.Output);

            var artefacts = KeepScreenshots(screenshots);
            output.WriteLine($"Screenshots: {artefacts}");
            Console.WriteLine($"Swagger UI browser test screenshots: {artefacts}");

            var summaryLine = run.Output.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith("SUMMARY ", StringComparison.Ordinal));
            Assert.True(run.ExitCode == 0 && summaryLine is not null,
                $"The Swagger UI script failed (exit code {run.ExitCode}).{Environment.NewLine}Script:{Environment.NewLine}{run.Output}" +
                $"{Environment.NewLine}API log (tail):{Environment.NewLine}{api.OutputTail()}");

            using var summary = JsonDocument.Parse(summaryLine!["SUMMARY ".Length..]);
            var s = summary.RootElement;
            Assert.True(s.GetProperty("ok").GetBoolean(), summaryLine);
            Assert.Equal(202, s.GetProperty("statusCode").GetInt32());
            Assert.False(string.IsNullOrWhiteSpace(s.GetProperty("id").GetString()), summaryLine);
            Assert.Equal("succeeded", s.GetProperty("finalStatus").GetString());

            foreach (var name in new[] { "01-after-execute.png", "02-final.png" })
                AssertPng(Path.Combine(screenshots, name));
        }
        finally
        {
            api?.Dispose();
            try { Directory.Delete(temp, recursive: true); }
            catch (IOException) { /* a file still held by a dying process: leave it to the OS */ }
        }
    }

    /// <summary>A PNG: the signature, an IHDR chunk with a plausible size, and more than a blank page's bytes.</summary>
    static void AssertPng(string file)
    {
        Assert.True(File.Exists(file), $"{file} was not written.");
        var bytes = File.ReadAllBytes(file);
        byte[] signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        Assert.True(bytes.Length > 10_000, $"{file} has only {bytes.Length} bytes: not a screenshot of the page.");
        Assert.True(bytes.AsSpan(0, 8).SequenceEqual(signature), $"{file} does not start with the PNG signature.");
        Assert.Equal("IHDR", Encoding.ASCII.GetString(bytes, 12, 4));
        var width = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16));
        var height = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20));
        Assert.True(width >= 640 && height >= 480, $"{file} is {width}x{height}: smaller than the browser's viewport.");
    }

    /// <summary>Copies whatever the script wrote (failure.png too) to TestResults/browser in the test output.</summary>
    static string KeepScreenshots(string from)
    {
        var to = Path.Combine(AppContext.BaseDirectory, "TestResults", "browser");
        Directory.CreateDirectory(to);
        foreach (var old in Directory.GetFiles(to, "*.png")) File.Delete(old);
        if (Directory.Exists(from))
            foreach (var file in Directory.GetFiles(from, "*.png"))
                File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        return to;
    }
}
