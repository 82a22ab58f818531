using TextToImage.Api.Tests.Support;
using TextToImage.Service.Hosting;

namespace TextToImage.Api.Tests;

/// <summary>What an operator sees who mistypes a setting: the built host, as a process, stops at once with one line naming the key.</summary>
public sealed class StartupSettingsTests
{
    [Theory]
    [InlineData("api", "Jobs__MaxAttempts", "0", "Jobs:MaxAttempts must be between 1 and 10, not 0")]
    [InlineData("api", "Api__MaxRequestBytes", "-1", "Api:MaxRequestBytes must be positive, not -1")]
    [InlineData("api", "Storage__Provider", "ftp", "'Storage:Provider'")]
    [InlineData("worker", "Jobs__WorkerCount", "3", "Jobs:WorkerCount (3) is no longer a setting")]
    [InlineData("worker", "Jobs__MaxBatchImages", "65", "Jobs:MaxBatchImages must be between 1 and 64, not 65")]
    [InlineData("worker", "Models__Device", "tpu", "'Models:Device'")]
    [InlineData("worker", "Jobs__Storage", "postgresql", "ConnectionStrings:Jobs")]
    [InlineData("api", "Webhooks__Secret", "hunter2", "Webhooks:Secret must start with 'whsec_'")]
    [InlineData("api", "Api__OpenAIWaitSeconds", "0", "Api:OpenAIWaitSeconds must be between 1 and 3600, not 0")]
    public async Task An_invalid_setting_stops_the_host_with_a_line_naming_its_key(string host, string variable, string value, string expected)
    {
        using var data = new TempFolder();
        var settings = new Dictionary<string, string> { [variable] = value };
        using var process = host == "api" ? HostProcess.StartApi(data.Path, settings) : HostProcess.StartWorker(data.Path, settings);
        await process.WaitForExitAsync(TimeSpan.FromMinutes(2));

        Assert.True(SettingsErrors.ExitCode == process.Process.ExitCode, $"exit code {process.Process.ExitCode}:{Environment.NewLine}{process.OutputTail()}");
        var line = Assert.Single(process.OutputTail().Split('\n'), l => l.StartsWith("The service did not start: "));
        Assert.Contains(expected, line);
    }
}
