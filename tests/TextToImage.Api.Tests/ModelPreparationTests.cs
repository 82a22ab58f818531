using TextToImage.Api.Tests.Support;
using TextToImage.Diffusion.Text;
using TextToImage.Service.Models;
using TextToImage.Testing;

namespace TextToImage.Api.Tests;

/// <summary>
/// <c>--prepare-models</c>, as the Dockerfile runs it while building an image: the built host, as a
/// process, converts what a first load would and exits instead of serving.
/// </summary>
public sealed class ModelPreparationTests
{
    [Fact]
    public async Task The_worker_converts_the_bundled_models_text_encoder_and_exits()
    {
        using var temp = new TempFolder();
        var model = Path.Combine(temp["models"], "fluent-emoji");
        CopyModel(Path.Combine(RepoRoot.Path, "models", "fluent-emoji"), model);
        var cache = Path.Combine(model, "text_encoder", MiniLmWeights.FileName);
        Assert.False(File.Exists(cache));

        using var worker = HostProcess.StartWorker(temp["data"], new Dictionary<string, string> { ["Models__Folders__0"] = temp["models"] },
            args: ModelPreparation.Switch);
        await worker.WaitForExitAsync(TimeSpan.FromMinutes(3));

        Assert.True(worker.Process.ExitCode == 0, $"exit code {worker.Process.ExitCode}:{Environment.NewLine}{worker.OutputTail()}");
        Assert.Contains("Prepared model 'fluent-emoji'", worker.OutputTail());
        Assert.True(new FileInfo(cache).Length > 80_000_000, "all-MiniLM-L6-v2's 22.7 M float32 weights");
    }

    [Fact]
    public async Task The_api_without_a_model_fails_naming_the_setting()
    {
        using var temp = new TempFolder();
        using var api = HostProcess.StartApi(temp["data"], new Dictionary<string, string> { ["Models__Folders__0"] = temp["empty"] },
            ModelPreparation.Switch);
        await api.WaitForExitAsync(TimeSpan.FromMinutes(3));

        Assert.True(ModelPreparation.FailureExitCode == api.Process.ExitCode, $"exit code {api.Process.ExitCode}:{Environment.NewLine}{api.OutputTail()}");
        Assert.Contains("No model to prepare: no model folder was found (Models:Folders).", api.OutputTail());
    }

    /// <summary>The model's own files, without a converted text encoder a local run may have cached.</summary>
    static void CopyModel(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative == Path.Combine("text_encoder", MiniLmWeights.FileName) || relative.EndsWith(".png", StringComparison.Ordinal)) continue;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(to, relative))!);
            File.Copy(file, Path.Combine(to, relative));
        }
    }
}
