using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TextToImage.Api.Tests.Support;

namespace TextToImage.Api.Tests;

/// <summary>
/// The serving batcher (Jobs:MaxBatchImages) in the real host: jobs that waited for the device together run as one
/// batch, each with its own seed, prompt, guidance, progress, cancel and images.
/// </summary>
public sealed partial class BatchedJobsApiTests
{
    // As the engine's batched-sampling tolerance: a batch changes the last bits of the network's sums, not the picture.
    const int LevelTolerance = 4;

    static object Job(string prompt, long seed, double guidance, int steps = 500) =>
        new { prompt, seed, guidanceScale = guidance, steps, sampler = "ddpm", resolution = 16 };

    [Fact]
    public async Task Jobs_that_waited_together_run_as_one_batch_and_a_cancel_removes_only_its_job()
    {
        using var host = new ApiHost(new Dictionary<string, string?> { ["Jobs:MaxBatchImages"] = "4" });
        using var api = host.Client();
        await api.WaitUntilReady();

        // The device is busy with a first job (long enough not to end by itself) while three more are claimed and
        // wait for it. "running" is set at the claim, before a job reaches the device: the gauge says when all three wait.
        var busy = await api.Submit(Job("busy", 1, 3, steps: 1000));
        await api.WaitUntil(busy, job => job["progress"]?["step"]?.GetValue<int>() > 0);
        var first = await api.Submit(Job("a red apple", 10, 3));
        var leaving = await api.Submit(Job("a blue car", 20, 5));
        var last = await api.Submit(Job("cat face", 30, 2));
        await WaitForDevice(api, waiting: 3);
        Assert.Equal("running", ApiClient.Status(await api.Generation(busy)));
        Assert.Equal(HttpStatusCode.Accepted, (await api.Post($"/v1/generations/{busy}/cancel", new { })).Response.StatusCode);

        // The three run together: each moves; one of them cancels mid-way and the others go on.
        await api.WaitUntil(leaving, job => job["progress"]?["step"]?.GetValue<int>() > 0);
        Assert.Equal(HttpStatusCode.Accepted, (await api.Post($"/v1/generations/{leaving}/cancel", new { })).Response.StatusCode);
        var done = new[] { await api.WaitUntilFinished(first), await api.WaitUntilFinished(leaving), await api.WaitUntilFinished(last) };
        Assert.Equal(["succeeded", "canceled", "succeeded"], done.Select(ApiClient.Status));
        Assert.Empty(done[1]["images"]!.AsArray());
        Assert.Equal([10L, 30L], new[] { done[0], done[2] }.Select(job => job["images"]![0]!["seed"]!.GetValue<long>()));

        // Two device runs: the busy job alone, then the batch of three.
        var scrape = await api.Http.GetStringAsync("/metrics");
        Assert.Equal((2, 4), ((int)Value(scrape, "t2i_batch_jobs_count"), (int)Value(scrape, "t2i_batch_jobs_sum")));
        Assert.Equal(0, Value(scrape, "t2i_device_waiting"));

        // Each batched job's picture is the one it gets alone, up to rounding.
        foreach (var (job, body) in new[] { (done[0], Job("a red apple", 10, 3)), (done[2], Job("cat face", 30, 2)) })
        {
            var alone = await api.WaitUntilFinished(await api.Submit(body));
            var levels = MaxLevels(await Download(api, job), await Download(api, alone));
            Assert.True(levels <= LevelTolerance, $"{job["request"]!["prompt"]}: batched {levels} levels from alone");
        }
    }

    static async Task WaitForDevice(ApiClient api, int waiting)
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        while (Value(await api.Http.GetStringAsync("/metrics", guard.Token), "t2i_device_waiting") != waiting)
            await Task.Delay(50, guard.Token);
    }

    static async Task<Image<Rgb24>> Download(ApiClient api, JsonNode job) =>
        Image.Load<Rgb24>(await api.Http.GetByteArrayAsync(job["images"]![0]!["url"]!.GetValue<string>()));

    static int MaxLevels(Image<Rgb24> a, Image<Rgb24> b)
    {
        using (a)
        using (b)
        {
            var (left, right) = (new Rgb24[a.Width * a.Height], new Rgb24[b.Width * b.Height]);
            a.CopyPixelDataTo(left);
            b.CopyPixelDataTo(right);
            return left.Zip(right).Max(p => Math.Max(Math.Abs(p.First.R - p.Second.R),
                Math.Max(Math.Abs(p.First.G - p.Second.G), Math.Abs(p.First.B - p.Second.B))));
        }
    }

    static double Value(string scrape, string name) =>
        Line().Matches(scrape).Where(m => m.Groups["name"].Value == name)
            .Sum(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex Line();
}
