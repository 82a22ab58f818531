using System.Diagnostics;
using SixLabors.ImageSharp;
using TextToImage.Api.Tests.Support;
using Xunit.Abstractions;


namespace TextToImage.Api.Tests;

/// <summary>
/// What an operator sees when a process dies: the built hosts as real processes, sharing one data
/// root; jobs survive SIGKILL and graceful worker shutdown, and each ends succeeded exactly once.
/// </summary>
public sealed class ProcessRecoveryTests(ITestOutputHelper output) : IDisposable
{
    static readonly TimeSpan ReadyGuard = TimeSpan.FromMinutes(2);
    readonly string dataRoot = Directory.CreateTempSubdirectory("t2i-recovery-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(dataRoot, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    static object Job(long seed, int steps) => new { prompt = $"job {seed}", seed, steps, sampler = "ddim", resolution = 32, numImages = 2 };

    [Fact]
    public async Task Jobs_survive_a_sigkill_of_the_api_and_each_succeeds_exactly_once()
    {
        var ids = new List<string>();
        using (var first = HostProcess.StartApi(dataRoot))
        {
            await first.WaitUntilReadyAsync(ReadyGuard);
            using var api = first.Client();
            ids.Add(await api.Submit(Job(1, steps: 400)));
            ids.Add(await api.Submit(Job(2, steps: 5)));
            ids.Add(await api.Submit(Job(3, steps: 5)));
            await api.WaitUntil(ids[0], job => job["progress"]?["step"]?.GetValue<int>() > 0);
            first.Kill();
        }

        var restarted = Stopwatch.StartNew();
        using var second = HostProcess.StartApi(dataRoot);
        await second.WaitUntilReadyAsync(ReadyGuard);
        using var client = second.Client();
        var resumed = await client.WaitUntil(ids[0], job => ApiClient.Status(job) != "queued" || job["attempts"]!.GetValue<int>() > 1);
        output.WriteLine($"The orphaned job ran again {restarted.Elapsed.TotalSeconds:0.0} s after the restart began (status {ApiClient.Status(resumed)}).");

        foreach (var id in ids)
        {
            var job = await client.WaitUntilFinished(id);
            Assert.True(ApiClient.Status(job) == "succeeded", $"{id}: {job}{Environment.NewLine}{second.OutputTail()}");
            var images = job["images"]!.AsArray();
            Assert.Equal(2, images.Count);
            foreach (var image in images)
            {
                using var decoded = Image.Load(await client.Http.GetByteArrayAsync(image!["url"]!.GetValue<string>()));
                Assert.Equal(32, decoded.Width);
            }
            // One set of outputs on disk: the final images and the base stage's, nothing half-written.
            var files = Directory.GetFiles(Path.Combine(dataRoot, "images", id), "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(Path.Combine(dataRoot, "images", id), f)).Order().ToList();
            Assert.Equal(["0.png", "1.png", Path.Combine("stage-0", "0.png"), Path.Combine("stage-0", "1.png")], files);
        }
        Assert.Equal(2, (await client.Generation(ids[0]))["attempts"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_separate_worker_runs_the_jobs_and_a_worker_stopping_gracefully_hands_its_job_back()
    {
        var apiOnly = new Dictionary<string, string> { ["Jobs__InProcessWorker"] = "false" };
        using var apiHost = HostProcess.StartApi(dataRoot, apiOnly);
        await apiHost.WaitUntilReadyAsync(ReadyGuard);
        using var api = apiHost.Client();
        var models = (await api.Get("/v1/models")).Body!.AsArray();
        Assert.False(models[0]!["loaded"]!.GetValue<bool>()); // the API process never loads libtorch's model

        string id;
        using (var worker = HostProcess.StartWorker(dataRoot))
        {
            id = await api.Submit(Job(5, steps: 400));
            await api.WaitUntil(id, job => job["progress"]?["step"]?.GetValue<int>() > 0);
            await Terminate(worker);
            Assert.True(worker.Process.ExitCode == 0, $"The worker exited with {worker.Process.ExitCode}:{Environment.NewLine}{worker.OutputTail()}");
        }
        var handedBack = await api.Generation(id);
        Assert.Equal("queued", ApiClient.Status(handedBack));

        using var replacement = HostProcess.StartWorker(dataRoot);
        var done = await api.WaitUntilFinished(id);
        Assert.True(ApiClient.Status(done) == "succeeded", $"{done}{Environment.NewLine}{replacement.OutputTail()}");
        Assert.Equal(2, done["attempts"]!.GetValue<int>());
        Assert.Equal(2, done["images"]!.AsArray().Count);
    }

    /// <summary>SIGTERM, as systemd or Kubernetes stop a service, then wait for the process to end.</summary>
    static async Task Terminate(HostProcess host)
    {
        var kill = await Commands.RunAsync("kill", ["-TERM", host.Process.Id.ToString()], RepoRoot.Path, TimeSpan.FromSeconds(10));
        Assert.Equal(0, kill.ExitCode);
        await host.WaitForExitAsync(TimeSpan.FromMinutes(1));
    }
}
