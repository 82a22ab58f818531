using System.Globalization;
using System.Text.RegularExpressions;
using TextToImage.Api.Tests.Support;

namespace TextToImage.Api.Tests;

/// <summary>/metrics in Prometheus' text format, scraped from the real host around real jobs.</summary>
public sealed partial class MetricsTests(ApiHost host) : IClassFixture<ApiHost>
{
    readonly ApiClient api = host.Client();

    [Fact]
    public async Task A_job_moves_the_job_stage_step_image_and_model_series()
    {
        // The worker counts a job once its record says succeeded, so a client that saw the status can
        // scrape before the count (and the exporter caches a scrape for 300 ms): each scrape waits for it.
        await RunJob(seed: 1);   // the model loads during the first job
        var before = await ScrapeUntil(text => Sum(text, "t2i_jobs_completed_total", "status=\"succeeded\"") >= 1);
        await RunJob(seed: 2);
        var after = await ScrapeUntil(text => Sum(text, "t2i_jobs_completed_total", "status=\"succeeded\"") > Sum(before, "t2i_jobs_completed_total", "status=\"succeeded\""));

        Assert.Equal(1, Sum(after, "t2i_jobs_completed_total", "status=\"succeeded\"") - Sum(before, "t2i_jobs_completed_total", "status=\"succeeded\""));
        Assert.Equal(1, Sum(after, "t2i_jobs_submitted_total", "kind=\"generation\"") - Sum(before, "t2i_jobs_submitted_total", "kind=\"generation\""));
        // 32 px: the base stage (3 steps as asked) and one super-resolution stage (its own default steps).
        var stageRuns = Series(after, "t2i_stage_duration_seconds_count").ToList();
        Assert.Equal(2, stageRuns.Count);
        Assert.All(stageRuns, s => Assert.Equal(2, s.Value));
        Assert.Equal(3, Sum(after, "t2i_sampler_steps_total", "stage=\"base\"") - Sum(before, "t2i_sampler_steps_total", "stage=\"base\""));
        Assert.Equal(1, Sum(after, "t2i_images_stored_total", "kind=\"final\"") - Sum(before, "t2i_images_stored_total", "kind=\"final\""));
        Assert.Equal(1, Sum(after, "t2i_images_stored_total", "kind=\"stage\"") - Sum(before, "t2i_images_stored_total", "kind=\"stage\""));
        Assert.Equal(1, Sum(after, "t2i_model_load_duration_seconds_count", $"model=\"{TinyModel.Name}\""));
        Assert.Equal(0, Assert.Single(Series(after, "t2i_queue_length")).Value);
        Assert.True(Sum(after, "http_server_request_duration_seconds_count", "http_route=\"/v1/generations/\"") >= 2, "ASP.NET Core's request series are there too");
    }

    async Task RunJob(long seed)
    {
        var done = await api.WaitUntilFinished(await api.Submit(new { prompt = "a red apple", seed, resolution = 32, steps = 3 }));
        Assert.Equal("succeeded", ApiClient.Status(done));
    }

    /// <summary>Scrapes until <paramref name="moved"/> holds; a minute is a failure guard.</summary>
    async Task<string> ScrapeUntil(Func<string, bool> moved)
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (true)
        {
            var text = await Scrape();
            if (moved(text)) return text;
            await Task.Delay(100, guard.Token);
        }
    }

    async Task<string> Scrape()
    {
        using var response = await api.Http.GetAsync("/metrics");
        response.EnsureSuccessStatusCode();
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync();
    }

    static double Sum(string scrape, string name, string label) => Series(scrape, name).Where(s => s.Labels.Contains(label)).Sum(s => s.Value);

    static IEnumerable<(string Labels, double Value)> Series(string scrape, string name) =>
        Line().Matches(scrape).Where(m => m.Groups["name"].Value == name)
            .Select(m => (m.Groups["labels"].Value, double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)));

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex Line();
}
