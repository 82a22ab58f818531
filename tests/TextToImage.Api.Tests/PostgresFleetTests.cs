using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using TextToImage.Api.Tests.Support;
using Xunit.Abstractions;

namespace TextToImage.Api.Tests;

/// <summary>
/// API and worker processes on one real PostgreSQL (deploy/postgres.sh) and one blob folder, each
/// process with a data root of its own: nothing passes between them but the database and the blobs.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresFleetTests(PostgresFixture postgres, ITestOutputHelper output) : IDisposable
{
    static readonly TimeSpan ReadyGuard = TimeSpan.FromMinutes(2);
    readonly string root = Directory.CreateTempSubdirectory("t2i-fleet-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(root, recursive: true); }
        catch (IOException) { }
    }

    Dictionary<string, string> Settings(string database) => FleetSettings.For(database, Path.Combine(root, "blobs"));

    HostProcess Api(string database, string name) => HostProcess.StartApi(Path.Combine(root, name), Settings(database));

    HostProcess Worker(string database, string name) => HostProcess.StartWorker(Path.Combine(root, name), Settings(database));

    [Fact]
    public async Task A_job_submitted_to_one_api_streams_its_events_from_another_and_a_cancel_sent_to_either_reaches_the_worker()
    {
        var database = await postgres.CreateDatabaseAsync();
        using var apiA = Api(database, "api-a");
        using var apiB = Api(database, "api-b");
        using var worker = Worker(database, "worker");
        await apiA.WaitUntilReadyAsync(ReadyGuard);
        await apiB.WaitUntilReadyAsync(ReadyGuard);
        using var a = apiA.Client();
        using var b = apiB.Client();

        var id = await a.Submit(new { prompt = "fleet", seed = 3, steps = 8, sampler = "ddim", resolution = 32, numImages = 1 });
        var events = await Follow(b, id);
        var end = events[^1];
        Assert.True(end.Type == "end" && ApiClient.Status(end.Data) == "succeeded", $"{end.Data}{Environment.NewLine}{worker.OutputTail()}");
        Assert.Contains(events, e => e.Type == "stage");
        // Worker to client: from the completion the worker wrote to the moment API B's stream said so.
        var completedAt = DateTimeOffset.Parse(end.Data["completedAt"]!.GetValue<string>());
        output.WriteLine($"Completion to SSE 'end' on the other API: {(end.ReceivedAt - completedAt).TotalMilliseconds:0} ms.");

        // Progress is written a few times a second, so an 8-step job may end before any is: the long job's stream on API B
        // shows it, and its first progress event sends the cancel through API B.
        var longJob = await a.Submit(new { prompt = "long", seed = 4, steps = 1000, sampler = "ddim", resolution = 32, numImages = 1 });
        Stopwatch? asked = null;
        var longEvents = await Follow(b, longJob, async e =>
        {
            if (e.Type != "progress" || asked is not null) return;
            asked = Stopwatch.StartNew();
            var (cancel, _) = await b.Post($"/v1/generations/{longJob}/cancel", new { });
            Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        });
        Assert.NotNull(asked);
        var canceled = await a.WaitUntilFinished(longJob);
        output.WriteLine($"Cancel on API B to 'canceled' on API A: {asked.Elapsed.TotalMilliseconds:0} ms.");
        Assert.Equal("canceled", ApiClient.Status(longEvents[^1].Data));
        Assert.Equal("canceled", ApiClient.Status(canceled));
        Assert.Empty(canceled["images"]!.AsArray()); // stopped mid-run: 1,000 steps would have made an image
    }

    [Fact]
    public async Task An_api_whose_database_is_down_says_why_on_readyz_and_recovers_when_it_comes_up()
    {
        var port = FreePort();
        var database = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Timeout=3";
        using var api = Api(database, "api");
        using var client = api.Client();
        JsonNode? body = null;
        using (var guard = new CancellationTokenSource(ReadyGuard))
            while (body?["checks"]?["jobs"]?["status"]?.GetValue<string>() != "Unhealthy")
            {
                Assert.False(api.Process.HasExited, api.OutputTail());
                try { (_, body) = await client.Get("/readyz"); }
                catch (HttpRequestException) { /* not listening yet */ }
                await Task.Delay(200, guard.Token);
            }
        Assert.Contains("job database", body!["checks"]!["jobs"]!["description"]!.GetValue<string>());
        var (refused, problem) = await client.Post("/v1/generations", new { prompt = "while down", steps = 2 });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.Contains("job database", problem!["title"]!.GetValue<string>());

        await using var server = await PostgresServer.StartAsync(port);
        await api.WaitUntilReadyAsync(ReadyGuard);
        Assert.False(api.Process.HasExited);
        var (accepted, _) = await client.Post("/v1/generations", new { prompt = "once up", steps = 2 });
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
    }

    sealed record Event(string Type, JsonNode Data, DateTimeOffset ReceivedAt);

    /// <summary>The job's server-sent events until its stream ends, each handed to <paramref name="onEvent"/> as it arrives.</summary>
    static async Task<List<Event>> Follow(ApiClient api, string id, Func<Event, Task>? onEvent = null)
    {
        using var response = await api.Http.GetAsync($"/v1/generations/{id}/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = new List<Event>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        string? type = null;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("event: ")) type = line["event: ".Length..];
            else if (line.StartsWith("data: "))
            {
                events.Add(new Event(type!, JsonNode.Parse(line["data: ".Length..])!, DateTimeOffset.UtcNow));
                if (onEvent is not null) await onEvent(events[^1]);
            }
        }
        return events;
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
