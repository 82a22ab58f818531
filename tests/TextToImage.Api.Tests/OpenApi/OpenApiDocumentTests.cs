using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using TextToImage.Api.Tests.Support;

namespace TextToImage.Api.Tests.OpenApi;

/// <summary>The OpenAPI document against the server: real answers of every operation validated against it, and two linters on it.</summary>
public sealed class OpenApiDocumentTests
{
    const string Key = "secret-key-for-the-document-test";

    static async Task<OpenApiConformance> Document(ApiClient api)
    {
        using var response = await api.Http.GetAsync("/swagger/v1/swagger.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return new OpenApiConformance(JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    [Fact]
    public async Task Every_operation_answers_as_the_document_says()
    {
        using var host = new ApiHost();
        using var api = host.Client();
        await api.WaitUntilReady();
        var contract = await Document(api);
        var http = api.Http;

        await contract.Check("GET", "/v1/models", await http.GetAsync("/v1/models"));

        var created = await http.PostAsJsonAsync("/v1/generations", new { prompt = "a red square", seed = 1, steps = 2, numImages = 2 });
        var job = JsonNode.Parse(await contract.Check("POST", "/v1/generations", created))!;
        var id = job["id"]!.GetValue<string>();
        await contract.Check("GET", "/v1/generations/{id}", await http.GetAsync($"/v1/generations/{id}"));
        var done = await api.WaitUntilFinished(id);
        Assert.Equal("succeeded", ApiClient.Status(done));
        await contract.Check("GET", "/v1/generations/{id}", await http.GetAsync($"/v1/generations/{id}"));   // with images and metrics
        await contract.Check("GET", "/v1/generations", await http.GetAsync("/v1/generations?limit=1"));
        await contract.Check("GET", "/v1/generations", await http.GetAsync("/v1/generations?status=done"));   // 400: not a status
        await contract.Check("GET", "/v1/generations/{id}", await http.GetAsync("/v1/generations/nope"));     // 404
        var events = await contract.Check("GET", "/v1/generations/{id}/events", await http.GetAsync($"/v1/generations/{id}/events"));
        Assert.Contains("event: end", System.Text.Encoding.UTF8.GetString(events));
        await contract.Check("GET", "/v1/generations/{id}/events", await http.GetAsync("/v1/generations/nope/events"));
        await contract.Check("POST", "/v1/generations/{id}/cancel", await http.PostAsync($"/v1/generations/{id}/cancel", null));   // 409: finished
        await contract.Check("POST", "/v1/generations/{id}/cancel", await http.PostAsync("/v1/generations/nope/cancel", null));    // 404

        // The image, by the URL the job gives, by its key with the slash encoded (as generated clients send it), and revalidated.
        var url = new Uri(done["images"]![0]!["url"]!.GetValue<string>());
        using var image = await http.GetAsync(url.PathAndQuery);
        var png = await contract.Check("GET", "/v1/images/{key}", image);
        var encoded = url.PathAndQuery.Replace($"/v1/images/{id}/", $"/v1/images/{id}%2F", StringComparison.Ordinal);
        Assert.Equal(png, await contract.Check("GET", "/v1/images/{key}", await http.GetAsync(encoded)));
        using var revalidate = new HttpRequestMessage(HttpMethod.Get, url.PathAndQuery) { Headers = { { "If-None-Match", image.Headers.ETag!.ToString() } } };
        using var notModified = await http.SendAsync(revalidate);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        await contract.Check("GET", "/v1/images/{key}", notModified);
        await contract.Check("GET", "/v1/images/{key}", await http.GetAsync($"/v1/images/{id}%2F9.png"));   // 404
        await contract.Check("DELETE", "/v1/generations/{id}", await http.DeleteAsync("/v1/generations/nope"));   // 404
        await contract.Check("DELETE", "/v1/generations/{id}", await http.DeleteAsync($"/v1/generations/{id}"));  // 204

        // Refusals of a submission: a missing prompt, a wrong content type, an Idempotency-Key reused with another body.
        await contract.Check("POST", "/v1/generations", await http.PostAsJsonAsync("/v1/generations", new { steps = 2 }));
        await contract.Check("POST", "/v1/generations", await http.PostAsync("/v1/generations", new StringContent("prompt=x", System.Text.Encoding.UTF8, "text/plain")));
        foreach (var prompt in new[] { "one", "two" })
        {
            using var keyed = new HttpRequestMessage(HttpMethod.Post, "/v1/generations")
            {
                Content = JsonContent.Create(new { prompt, steps = 2 }), Headers = { { "Idempotency-Key", "same-key" } },
            };
            await contract.Check("POST", "/v1/generations", await http.SendAsync(keyed));   // 202, then 409
        }
        // 413: over Api:MaxRequestBytes. With Expect: 100-continue (as curl sends large bodies) the answer comes before the body
        // is sent; without it, a busy machine can still be writing when the server closes, and the client sees a reset instead.
        using var large = new HttpRequestMessage(HttpMethod.Post, "/v1/generations")
        {
            Content = new StringContent($"{{\"prompt\": \"{new string('x', 70 * 1024)}\"}}", System.Text.Encoding.UTF8, "application/json"),   // a declared length
        };
        large.Headers.ExpectContinue = true;
        await contract.Check("POST", "/v1/generations", await http.SendAsync(large));

        // Uploads: an edit, an upscale, and an edit without its picture.
        var picture = Uploads.Png(16, 16);
        await contract.Check("POST", "/v1/edits", await http.PostAsync("/v1/edits", Uploads.Form([("image", picture, "in.png")], new { prompt = "a red square", steps = 2 })));
        await contract.Check("POST", "/v1/upscales", await http.PostAsync("/v1/upscales", Uploads.Form([("image", picture, "in.png")], new { steps = 2 })));
        await contract.Check("POST", "/v1/edits", await http.PostAsync("/v1/edits", Uploads.Form([], new { prompt = "no picture" })));
        await contract.Check("POST", "/v1/upscales", await http.PostAsync("/v1/upscales", new StringContent("{}", System.Text.Encoding.UTF8, "application/json")));

        // OpenAI's endpoint: images (b64_json, then a URL), an option refused, a model not configured.
        foreach (var body in new object[] { new { prompt = "a cat", size = "16x16", response_format = "b64_json" }, new { prompt = "a cat", n = 2, size = "16x16" },
                     new { prompt = "a cat", style = "vivid" }, new { prompt = "a cat", model = "dall-e-3" } })
            await contract.Check("POST", "/v1/images/generations", await http.PostAsJsonAsync("/v1/images/generations", body));
        Assert.Contains("POST /v1/images/generations 200", contract.Checked);
        Assert.Contains("POST /v1/images/generations 400", contract.Checked);
        await contract.Check("POST", "/v1/images/edits", await http.PostAsync("/v1/images/edits",
            new MultipartFormDataContent { { new StringContent("a red square"), "prompt" }, { new ByteArrayContent(picture), "image", "in.png" } }));   // 200
        await contract.Check("POST", "/v1/images/edits", await http.PostAsync("/v1/images/edits", new MultipartFormDataContent { { new StringContent("x"), "prompt" } }));   // 400

        Assert.Equal(contract.Operations.Order(), contract.Checked.Select(c => string.Join(' ', c.Split(' ')[..2])).Distinct().Order());
        Assert.Contains("POST /v1/generations 409", contract.Checked);
        Assert.Contains("POST /v1/generations 413", contract.Checked);
        Assert.Contains("POST /v1/generations 415", contract.Checked);
        Assert.Contains("GET /v1/images/{key} 304", contract.Checked);
    }

    [Fact]
    public async Task Keys_and_the_rate_limit_answer_as_the_document_says()
    {
        using var host = new ApiHost(new Dictionary<string, string?>
        {
            ["Api:ApiKeys:0"] = Key, ["Api:RateLimitPerSecond"] = "1", ["Api:RateLimitBurst"] = "1",
        });
        using var api = host.Client();
        var contract = await Document(api);
        Assert.NotNull(contract.Document["components"]!["securitySchemes"]!["ApiKey"]);

        await contract.Check("GET", "/v1/models", await api.Http.GetAsync("/v1/models"));                  // 401: no key
        using var keyed = new HttpClient { BaseAddress = api.Http.BaseAddress, DefaultRequestHeaders = { { "X-Api-Key", Key } } };
        await contract.Check("GET", "/v1/models", await keyed.GetAsync("/v1/models"));                     // 200
        HttpResponseMessage limited;
        do limited = await keyed.GetAsync("/v1/generations/nope");                                         // 404s until the bucket is empty
        while (limited.StatusCode != HttpStatusCode.TooManyRequests && await contract.Check("GET", "/v1/generations/{id}", limited) is not null);
        await contract.Check("GET", "/v1/generations/{id}", limited);
        Assert.Contains("GET /v1/models 401", contract.Checked);
        Assert.Contains("GET /v1/generations/{id} 429", contract.Checked);
    }

    public static TheoryData<bool> WithAndWithoutKeys => new() { false, true };

    [Theory]
    [MemberData(nameof(WithAndWithoutKeys))]
    public async Task Spectral_and_redocly_find_nothing_wrong(bool keys)
    {
        using var host = new ApiHost(keys ? new Dictionary<string, string?> { ["Api:ApiKeys:0"] = Key } : null);
        using var api = host.Client();
        using var temp = new TempFolder();
        var document = temp["openapi.json"];
        File.WriteAllText(document, await api.Http.GetStringAsync("/swagger/v1/swagger.json"));

        var spectral = Commands.Run(NpmPackages.Command("@stoplight/spectral-cli", "6.16.3", "spectral"),
            ["lint", document, "--ruleset", Path.Combine(RepoRoot.Path, "tests/TextToImage.Api.Tests/OpenApi/spectral.yaml"), "--fail-severity", "warn"]);
        Assert.True(spectral.ExitCode == 0, $"Spectral:\n{spectral.Output}");
        var redocly = Commands.Run(NpmPackages.Command("@redocly/cli", "2.77.0", "redocly"), ["lint", document, "--max-problems", "50"],
            new Dictionary<string, string> { ["REDOCLY_TELEMETRY"] = "off", ["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true" });
        // "valid" with warnings too ("You have 1 warning."): both must be absent.
        Assert.True(redocly.ExitCode == 0 && redocly.Output.Contains("Your API description is valid") &&
                    !System.Text.RegularExpressions.Regex.IsMatch(redocly.Output, @"You have \d+ warning"), $"Redocly:\n{redocly.Output}");
    }
}
