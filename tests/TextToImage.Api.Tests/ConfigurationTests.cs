using System.Net;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using TextToImage.Api.Tests.Support;

namespace TextToImage.Api.Tests;

/// <summary>The operator's switches, each on a host of its own: keys, rate limits, queue length, storage.</summary>
public sealed class ConfigurationTests
{
    static object Quick => new { prompt = "a red apple", seed = 1, steps = 2, resolution = 16 };

    [Fact]
    public async Task With_api_keys_configured_v1_needs_one_and_health_does_not()
    {
        using var host = new ApiHost(new Dictionary<string, string?> { ["Api:ApiKeys:0"] = "first-key", ["Api:ApiKeys:1"] = "second-key" });
        using var api = host.Client();

        var (missing, problem) = await api.Get("/v1/models");
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal("Bearer", missing.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Contains("X-Api-Key", problem!["detail"]!.GetValue<string>());

        api.Http.DefaultRequestHeaders.Add("X-Api-Key", "wrong");
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.Get("/v1/models")).Response.StatusCode);
        api.Http.DefaultRequestHeaders.Remove("X-Api-Key");
        api.Http.DefaultRequestHeaders.Add("X-Api-Key", "second-key");
        Assert.Equal(HttpStatusCode.OK, (await api.Get("/v1/models")).Response.StatusCode);

        using var bearer = host.Client();
        bearer.Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "first-key");
        Assert.Equal(HttpStatusCode.OK, (await bearer.Get("/v1/generations")).Response.StatusCode);

        using var anonymous = host.Client();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.Http.GetAsync("/healthz")).StatusCode);

        // The document offers the Authorize button (a security scheme and requirement) because keys are needed here.
        var document = (await bearer.Get("/swagger/v1/swagger.json")).Body!;
        Assert.NotNull(document["components"]!["securitySchemes"]!["ApiKey"]);
        Assert.NotNull(document["security"]![0]!["ApiKey"]);
        Assert.NotNull(document["paths"]!["/v1/models"]!["get"]!["responses"]!["401"]);
    }

    [Fact]
    public async Task A_model_that_does_not_load_makes_the_service_unready_and_its_jobs_fail_without_retries()
    {
        var models = Directory.CreateTempSubdirectory("t2i-broken-model-").FullName;
        try
        {
            Folders.Copy(Path.Combine(TinyModel.Folder, "tiny"), Path.Combine(models, "broken"));
            var weights = Directory.GetFiles(Path.Combine(models, "broken"), "diffusion_pytorch_model.safetensors", SearchOption.AllDirectories)[0];
            File.WriteAllBytes(weights, [1, 2, 3]);
            using var host = new ApiHost(new Dictionary<string, string?> { ["Models:Folders:0"] = models });
            using var api = host.Client();

            var job = await api.WaitUntilFinished(await api.Submit(Quick));
            Assert.Equal("failed", ApiClient.Status(job));
            Assert.Equal("model_unavailable", job["error"]!["code"]!.GetValue<string>());
            Assert.Equal(1, job["attempts"]!.GetValue<int>());

            var (ready, report) = await api.Get("/readyz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Contains("does not load", report!["checks"]!["model"]!["description"]!.GetValue<string>());
        }
        finally
        {
            Directory.Delete(models, recursive: true);
        }
    }

    [Fact]
    public async Task The_dashboard_can_be_turned_off()
    {
        using var host = new ApiHost(new Dictionary<string, string?> { ["Api:Dashboard"] = "off" });
        using var api = host.Client();
        Assert.Equal(HttpStatusCode.NotFound, (await api.Http.GetAsync("/hangfire")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.Http.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task With_api_keys_a_job_is_its_callers_and_another_key_finds_nothing_while_an_operator_key_sees_all()
    {
        using var host = new ApiHost(new Dictionary<string, string?>
        {
            ["Api:ApiKeys:0"] = "alice-key", ["Api:ApiKeys:1"] = "bob-key", ["Api:AdminKeys:0"] = "operator-key",
        });
        ApiClient As(string key)
        {
            var client = host.Client();
            client.Http.DefaultRequestHeaders.Add("X-Api-Key", key);
            return client;
        }
        using var alice = As("alice-key");
        using var bob = As("bob-key");
        using var admin = As("operator-key");

        var id = await alice.Submit(Quick);
        var done = await alice.WaitUntilFinished(id);
        var image = done["images"]![0]!["url"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await alice.Http.GetAsync(image)).StatusCode);

        // To Bob it does not exist, whichever way he asks.
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Get($"/v1/generations/{id}")).Response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.GetAsync($"/v1/generations/{id}/events")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Post($"/v1/generations/{id}/cancel", new { })).Response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.GetAsync(image)).StatusCode);
        Assert.Empty((await bob.Get("/v1/generations")).Body!["items"]!.AsArray());
        var bobs = await bob.Submit(Quick);
        Assert.Equal([bobs], (await bob.Get("/v1/generations")).Body!["items"]!.AsArray().Select(j => j!["id"]!.GetValue<string>()));

        // The operator sees both, and Alice still only hers.
        Assert.Equal(HttpStatusCode.OK, (await admin.Get($"/v1/generations/{id}")).Response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.Http.GetAsync(image)).StatusCode);
        Assert.Equal(2, (await admin.Get("/v1/generations")).Body!["items"]!.AsArray().Count);
        Assert.Equal([id], (await alice.Get("/v1/generations")).Body!["items"]!.AsArray().Select(j => j!["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Over_its_rate_a_client_gets_429_with_retry_after()
    {
        using var host = new ApiHost(new Dictionary<string, string?> { ["Api:RateLimitPerSecond"] = "1", ["Api:RateLimitBurst"] = "3" });
        using var api = host.Client();
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 50 && limited is null; i++)
        {
            var response = await api.Http.GetAsync("/v1/models");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests) limited = response;
        }
        Assert.NotNull(limited);
        Assert.True(statuses.Count(s => s == HttpStatusCode.OK) >= 3, string.Join(", ", statuses));
        Assert.True(limited.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, (await api.Http.GetAsync("/healthz")).StatusCode); // health is not rate-limited
    }

    [Fact]
    public async Task Without_configured_keys_a_new_made_up_key_on_each_request_does_not_escape_the_limit()
    {
        using var host = new ApiHost(new Dictionary<string, string?> { ["Api:RateLimitPerSecond"] = "1", ["Api:RateLimitBurst"] = "3" });
        using var api = host.Client();
        var statuses = new List<HttpStatusCode>();
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 20; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
            request.Headers.Add("X-Api-Key", $"made-up-{i}");
            statuses.Add((await api.Http.SendAsync(request)).StatusCode);
        }
        // One bucket for all of them: the burst, plus one token per second that passed.
        var allowed = 3 + (int)Math.Ceiling(elapsed.Elapsed.TotalSeconds);
        Assert.True(statuses.Count(s => s == HttpStatusCode.OK) <= allowed, $"{allowed} allowed: {string.Join(", ", statuses)}");
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
    }

    [Fact]
    public async Task A_full_queue_answers_429_with_retry_after()
    {
        // No worker: whatever is queued stays queued.
        using var host = new ApiHost(new Dictionary<string, string?> { ["Jobs:InProcessWorker"] = "false", ["Jobs:MaxQueueLength"] = "2" });
        using var api = host.Client();
        await api.Submit(Quick);
        var second = await api.Submit(Quick);
        Assert.Equal(2, (await api.Generation(second))["queuePosition"]!.GetValue<int>());

        var (full, problem) = await api.Post("/v1/generations", Quick);
        Assert.Equal(HttpStatusCode.TooManyRequests, full.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(10), full.Headers.RetryAfter?.Delta);
        Assert.Equal("The queue is full.", problem!["title"]!.GetValue<string>());

        await api.Post($"/v1/generations/{second}/cancel", new { });
        await api.Submit(Quick);
    }

    [Fact]
    public async Task A_refused_upload_leaves_no_files_behind()
    {
        // No worker, a queue of one: the second upscale is refused for the full queue, a replay of the first
        // answers with the first job, another picture under its key is a conflict. Only the first job's input stays.
        using var host = new ApiHost(new Dictionary<string, string?> { ["Jobs:InProcessWorker"] = "false", ["Jobs:MaxQueueLength"] = "1" });
        using var api = host.Client();
        async Task<HttpStatusCode> Upscale(int size, string? key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/upscales") { Content = Uploads.Form([("image", Uploads.Png(size, size), "in.png")]) };
            if (key is not null) request.Headers.Add("Idempotency-Key", key);
            return (await api.Http.SendAsync(request)).StatusCode;
        }

        Assert.Equal(HttpStatusCode.Accepted, await Upscale(16, "first"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await Upscale(16, null));
        Assert.Equal(HttpStatusCode.Accepted, await Upscale(16, "first"));
        Assert.Equal(HttpStatusCode.Conflict, await Upscale(20, "first"));

        var job = Assert.Single((await api.Get("/v1/generations")).Body!["items"]!.AsArray());
        var files = Directory.GetFiles(Path.Combine(host.DataRoot, "images"), "*", SearchOption.AllDirectories);
        Assert.Equal(Path.Combine(host.DataRoot, "images", job!["id"]!.GetValue<string>(), "input.png"), Assert.Single(files));
    }

    [Fact]
    public async Task With_azure_storage_images_go_to_the_container_and_can_redirect_to_a_signed_url()
    {
        await using var azurite = await AzuriteServer.StartAsync();
        var container = $"t-{Guid.NewGuid():N}";
        using var host = new ApiHost(new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "azure",
            ["Storage:ConnectionString"] = azurite.ConnectionString,
            ["Storage:Container"] = container,
        });
        using var api = host.Client();
        var done = await api.WaitUntilFinished(await api.Submit(Quick));
        Assert.Equal("succeeded", ApiClient.Status(done));
        var id = done["id"]!.GetValue<string>();

        var blobs = new BlobContainerClient(azurite.ConnectionString, container).GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, id, CancellationToken.None);
        var names = new List<string>();
        await foreach (var blob in blobs) names.Add(blob.Name);
        Assert.Equal([$"{id}/0.png"], names);
        var streamed = await api.Http.GetByteArrayAsync(done["images"]![0]!["url"]!.GetValue<string>());
        Assert.Equal(0x89, streamed[0]);

        using var redirecting = new ApiHost(new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "azure",
            ["Storage:ConnectionString"] = azurite.ConnectionString,
            ["Storage:Container"] = container,
            ["Storage:RedirectToSignedUrls"] = "true",
        }, host.DataRoot);
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = redirecting.Client().Http.BaseAddress };
        using var redirect = await client.GetAsync($"/v1/images/{id}/0.png");
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        var signed = redirect.Headers.Location!;
        Assert.Contains("sig=", signed.Query);
        using var plain = new HttpClient();
        Assert.Equal(streamed, await plain.GetByteArrayAsync(signed));
    }

    [Fact]
    public async Task The_openapi_document_describes_every_endpoint_and_its_answers()
    {
        using var host = new ApiHost();
        using var api = host.Client();
        var document = (await api.Get("/swagger/v1/swagger.json")).Body!;
        var paths = document["paths"]!.AsObject();
        Assert.Equal(["/v1/edits", "/v1/generations", "/v1/generations/{id}", "/v1/generations/{id}/cancel", "/v1/generations/{id}/events", "/v1/images/{key}", "/v1/images/edits", "/v1/images/generations", "/v1/models", "/v1/upscales"],
            paths.Select(p => p.Key).Where(p => p.StartsWith("/v1")).Order());

        var create = paths["/v1/generations"]!["post"]!;
        Assert.Equal("Queues a text-to-image job.", create["summary"]!.GetValue<string>());
        Assert.Equal(["200", "202", "400", "409", "413", "415", "429"], create["responses"]!.AsObject().Select(r => r.Key).Order());
        Assert.Equal(["Location"], create["responses"]!["202"]!["headers"]!.AsObject().Select(h => h.Key));
        Assert.Equal(["Retry-After"], create["responses"]!["429"]!["headers"]!.AsObject().Select(h => h.Key));
        Assert.Contains(create["parameters"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "Idempotency-Key" && p["description"] is not null);
        var cancel = paths["/v1/generations/{id}/cancel"]!["post"]!;
        Assert.Equal(["200", "202", "404", "409", "429"], cancel["responses"]!.AsObject().Select(r => r.Key).Order());   // the rate limit covers all of /v1

        var schemas = document["components"]!["schemas"]!.AsObject();
        var prompt = schemas["CreateGenerationRequest"]!["properties"]!["prompt"]!;
        Assert.Equal("a red apple, flat style", prompt["examples"]![0]!.GetValue<string>());   // OpenAPI 3.1: JSON Schema's examples
        Assert.Contains("unconditional", prompt["description"]!.GetValue<string>());
        Assert.NotNull(schemas["GenerationResource"]!["properties"]!["queuePosition"]!["description"]);
        // No keys configured: no lock icons, no Authorize button, no 401; the API says it is open (one empty requirement).
        Assert.Null(document["components"]!["securitySchemes"]);
        Assert.Equal("[{}]", document["security"]!.ToJsonString());
        Assert.DoesNotContain(paths, p => p.Value!.AsObject().Any(o => o.Value!["responses"]!["401"] is not null));

        var ui = await api.Http.GetStringAsync("/swagger/index.html");
        Assert.Contains("swagger-ui", ui);
    }

    [Fact]
    public async Task The_root_serves_the_playground_which_links_the_swagger_ui_and_loads_nothing_from_elsewhere()
    {
        using var host = new ApiHost();
        using var api = host.Client();
        using var page = await api.Http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("href=\"/swagger\"", html);
        // Every script and style is the service's own: no CDN, so it works without internet.
        var sources = System.Text.RegularExpressions.Regex.Matches(html, "(?:src|href)=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.All(sources, source => Assert.StartsWith("/", source));
        foreach (var asset in new[] { "/playground/playground.js", "/playground/playground.css" })
        {
            Assert.Contains(asset, sources);
            using var answer = await api.Http.GetAsync(asset);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.True((await answer.Content.ReadAsByteArrayAsync()).Length > 1000, asset);
        }
    }
}

public sealed class ReadinessCheckTests
{
    [Fact]
    public async Task A_model_still_loading_is_degraded_not_unhealthy()
    {
        var catalog = new TextToImage.Service.Models.ModelCatalog([TinyModel.Folder], null,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<TextToImage.Service.Models.ModelCatalog>.Instance);
        using var engine = new TextToImage.Service.Models.CascadeEngine(catalog,
            Microsoft.Extensions.Options.Options.Create(new TextToImage.Service.Hosting.ModelsOptions()),
            Microsoft.Extensions.Options.Options.Create(new TextToImage.Service.Hosting.JobsOptions()),
            new TextToImage.Service.Telemetry.ServiceMetrics(new TestMeterFactory()),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<TextToImage.Service.Models.CascadeEngine>.Instance);
        var check = new TextToImage.Api.Infrastructure.ModelCheck(catalog, engine,
            Microsoft.Extensions.Options.Options.Create(new TextToImage.Service.Hosting.JobsOptions { InProcessWorker = true }));

        var result = await check.CheckHealthAsync(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext(), CancellationToken.None);
        // Degraded: /readyz answers 503 (ResultStatusCodes), and the health-check log, filtered to errors, stays quiet.
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded, result.Status);
        Assert.Contains("still loading", result.Description);
    }
}
