using System.Text;
using System.Text.Json;
using TextToImage.Api.Tests.Support;
using Xunit.Abstractions;

namespace TextToImage.Api.Tests.Browser;

/// <summary>
/// Runs one of this folder's scripts (built on browser.mjs) in headless chromium against a running API: installs
/// chromium and playwright-core with deploy/browser.sh first (a failure to install fails the test), keeps the
/// screenshots under TestResults/browser/&lt;script&gt; in the test output, and returns the script's summary.
/// </summary>
static class BrowserScript
{
    // Failure guards only: none of these is a performance assertion.
    static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(15);
    static readonly TimeSpan ScriptMargin = TimeSpan.FromMinutes(1);

    /// <param name="environment">More variables for the script (its own inputs).</param>
    public static async Task<JsonElement> RunAsync(string script, HostProcess api, string screenshots, ITestOutputHelper output, TimeSpan scriptTimeout,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var root = RepoRoot.Path;
        var install = await Commands.RunAsync("bash", [Path.Combine(root, "deploy", "browser.sh")], root, InstallTimeout);
        output.WriteLine(install.Output);
        Assert.True(install.ExitCode == 0,
            $"deploy/browser.sh could not install the browser test's tools (exit code {install.ExitCode}):{Environment.NewLine}{install.Output}");

        var file = Path.Combine(AppContext.BaseDirectory, "Browser", script + ".mjs");
        Assert.True(File.Exists(file), $"{file} is missing from the test output.");
        var variables = new Dictionary<string, string>(environment ?? new Dictionary<string, string>())
        {
            ["PLAYWRIGHT_CORE_DIR"] = Path.Combine(root, ".tools", "browser"),
            ["TIMEOUT_SECONDS"] = ((int)scriptTimeout.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var run = await Commands.RunAsync("node", [file, api.BaseUrl!, screenshots], root, scriptTimeout + ScriptMargin, variables);
        output.WriteLine(run.Output);
        var kept = KeepScreenshots(screenshots, script);
        output.WriteLine($"Screenshots: {kept}");
        Console.WriteLine($"{script} browser test screenshots: {kept}");

        var summaryLine = run.Output.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith("SUMMARY ", StringComparison.Ordinal));
        Assert.True(run.ExitCode == 0 && summaryLine is not null,
            $"The {script} script failed (exit code {run.ExitCode}).{Environment.NewLine}Script:{Environment.NewLine}{run.Output}" +
            $"{Environment.NewLine}API log (tail):{Environment.NewLine}{api.OutputTail()}");
        var summary = JsonDocument.Parse(summaryLine![("SUMMARY ".Length)..]).RootElement.Clone();
        Assert.True(summary.GetProperty("ok").GetBoolean(), summaryLine);
        return summary;
    }

    /// <summary>A PNG: the signature, an IHDR chunk with a plausible size, and more than a blank page's bytes.</summary>
    public static void AssertScreenshot(string file, int minWidth = 640, int minHeight = 100)
    {
        Assert.True(File.Exists(file), $"{file} was not written.");
        var bytes = File.ReadAllBytes(file);
        byte[] signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        Assert.True(bytes.Length > 5_000, $"{file} has only {bytes.Length} bytes: not a screenshot of the page.");
        Assert.True(bytes.AsSpan(0, 8).SequenceEqual(signature), $"{file} does not start with the PNG signature.");
        Assert.Equal("IHDR", Encoding.ASCII.GetString(bytes, 12, 4));
        var width = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16));
        var height = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20));
        Assert.True(width >= minWidth && height >= minHeight, $"{file} is {width}x{height}: smaller than the part of the page it shows.");
    }

    /// <summary>Copies whatever the script wrote (failure.png too) to TestResults/browser/&lt;script&gt; in the test output.</summary>
    static string KeepScreenshots(string from, string script)
    {
        var to = Path.Combine(AppContext.BaseDirectory, "TestResults", "browser", script);
        Directory.CreateDirectory(to);
        foreach (var old in Directory.GetFiles(to, "*.png")) File.Delete(old);
        if (Directory.Exists(from))
            foreach (var file in Directory.GetFiles(from, "*.png"))
                File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        return to;
    }
}
