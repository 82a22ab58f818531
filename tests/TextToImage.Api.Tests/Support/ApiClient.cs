using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TextToImage.Api.Tests.Support;

/// <summary>A thin client for the tests: JSON in, JSON out, and waiting for jobs.</summary>
public sealed class ApiClient(HttpClient http) : IDisposable
{
    /// <summary>A failure guard for jobs that never finish, not a performance limit.</summary>
    static readonly TimeSpan JobGuard = TimeSpan.FromMinutes(3);

    public HttpClient Http { get; } = http;

    public async Task<(HttpResponseMessage Response, JsonNode? Body)> Post(string path, object body, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        configure?.Invoke(request);
        var response = await Http.SendAsync(request);
        return (response, await Json(response));
    }

    public async Task<(HttpResponseMessage Response, JsonNode? Body)> Get(string path)
    {
        var response = await Http.GetAsync(path);
        return (response, await Json(response));
    }

    /// <summary>Queues a job and returns its id; fails unless the answer is 202.</summary>
    public async Task<string> Submit(object body)
    {
        var (response, json) = await Post("/v1/generations", body);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"Expected 202, got {(int)response.StatusCode}: {json}");
        return json!["id"]!.GetValue<string>();
    }

    public async Task<JsonNode> Generation(string id)
    {
        var (response, json) = await Get($"/v1/generations/{id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return json!;
    }

    /// <summary>Polls until the job satisfies <paramref name="condition"/>.</summary>
    public async Task<JsonNode> WaitUntil(string id, Func<JsonNode, bool> condition)
    {
        using var guard = new CancellationTokenSource(JobGuard);
        while (true)
        {
            var job = await Generation(id);
            if (condition(job)) return job;
            await Task.Delay(50, guard.Token);
        }
    }

    /// <summary>Polls /readyz until it answers 200 (the model loads in the background at start-up).</summary>
    public async Task<JsonNode> WaitUntilReady()
    {
        using var guard = new CancellationTokenSource(JobGuard);
        while (true)
        {
            var (response, body) = await Get("/readyz");
            if (response.StatusCode == HttpStatusCode.OK) return body!;
            await Task.Delay(100, guard.Token);
        }
    }

    public Task<JsonNode> WaitUntilFinished(string id) => WaitUntil(id, job => Status(job) is "succeeded" or "failed" or "canceled");

    public static string Status(JsonNode job) => job["status"]!.GetValue<string>();

    static async Task<JsonNode?> Json(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (text.Length == 0) return null;
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return JsonValue.Create(text);
        }
    }

    public void Dispose() => Http.Dispose();
}
