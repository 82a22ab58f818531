using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using SixLabors.ImageSharp;
using TextToImage.Api.Tests.Support;
using TextToImage.Diffusion.IO;

namespace TextToImage.Api.Tests;

/// <summary>The generation lifecycle through the real HTTP pipeline, on the tiny random model.</summary>
public sealed class GenerationsApiTests(ApiHost host) : IClassFixture<ApiHost>
{
    readonly ApiClient api = host.Client();

    /// <summary>A quick job: few base steps; 16 px is the base stage alone, 32 px adds one super-resolution stage.</summary>
    static object Quick(int resolution = 16, long seed = 1, int numImages = 1, string prompt = "a red apple") =>
        new { prompt, seed, numImages, resolution, steps = 3 };

    [Fact]
    public async Task A_job_runs_to_success_and_its_png_downloads_with_its_metadata()
    {
        var (response, queued) = await api.Post("/v1/generations", Quick(resolution: 32, seed: 11));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = queued!["id"]!.GetValue<string>();
        Assert.Equal($"{api.Http.BaseAddress}v1/generations/{id}", response.Headers.Location?.ToString());
        Assert.Equal(11, queued["request"]!["seed"]!.GetValue<long>());
        Assert.Equal(TinyModel.Name, queued["request"]!["model"]!.GetValue<string>());

        var done = await api.WaitUntilFinished(id);
        Assert.Equal("succeeded", ApiClient.Status(done));
        var image = Assert.Single(done["images"]!.AsArray())!;
        Assert.Equal((32, 32, 11L), (image["width"]!.GetValue<int>(), image["height"]!.GetValue<int>(), image["seed"]!.GetValue<long>()));
        Assert.True(done["metrics"]!["runSeconds"]!.GetValue<double>() > 0);
        Assert.NotNull(done["completedAt"]);

        var png = await api.Http.GetByteArrayAsync(image["url"]!.GetValue<string>());
        using (var decoded = Image.Load(png)) Assert.Equal((32, 32), (decoded.Width, decoded.Height));
        var metadata = ImageOutput.ReadMetadata(new MemoryStream(png)) ?? throw new InvalidDataException("The PNG carries no generation metadata.");
        Assert.Equal("a red apple", metadata.Prompt);
        Assert.Equal(11, metadata.Seed);
        Assert.Equal(TinyModel.Name, metadata.Model);

        // The base stage's image is a progressive result, stored and downloadable too.
        var stage = Assert.Single(done["stageImages"]!.AsArray())!;
        Assert.Equal(16, stage["resolution"]!.GetValue<int>());
        var basePng = await api.Http.GetByteArrayAsync(stage["images"]![0]!["url"]!.GetValue<string>());
        using (var decoded = Image.Load(basePng)) Assert.Equal(16, decoded.Width);
    }

    [Fact]
    public async Task With_reproducible_image_i_of_a_job_equals_a_single_image_job_with_seed_plus_i()
    {
        var pair = await api.WaitUntilFinished(await api.Submit(new { prompt = "a red apple", seed = 40, numImages = 2, steps = 3, reproducible = true }));
        var single = await api.WaitUntilFinished(await api.Submit(new { prompt = "a red apple", seed = 41, steps = 3, reproducible = true }));
        Assert.True(pair["request"]!["reproducible"]!.GetValue<bool>());
        Assert.Equal([40L, 41L], pair["images"]!.AsArray().Select(i => i!["seed"]!.GetValue<long>()));
        var second = await api.Http.GetByteArrayAsync(pair["images"]![1]!["url"]!.GetValue<string>());
        var alone = await api.Http.GetByteArrayAsync(single["images"]![0]!["url"]!.GetValue<string>());
        Assert.Equal(alone, second);
        Assert.Equal("per-image", ImageOutput.ReadMetadata(new MemoryStream(second))!.Extra!["sampling"]);

        // By default the images go through together, and the PNG says so.
        var batched = await api.WaitUntilFinished(await api.Submit(Quick(seed: 40, numImages: 2)));
        Assert.False(batched["request"]!["reproducible"]!.GetValue<bool>());
        var png = await api.Http.GetByteArrayAsync(batched["images"]![1]!["url"]!.GetValue<string>());
        Assert.Equal("batched", ImageOutput.ReadMetadata(new MemoryStream(png))!.Extra!["sampling"]);
    }

    [Fact]
    public async Task Images_are_immutable_with_an_etag_that_answers_304()
    {
        var done = await api.WaitUntilFinished(await api.Submit(Quick(seed: 3)));
        var url = done["images"]![0]!["url"]!.GetValue<string>();
        using var first = await api.Http.GetAsync(url);
        Assert.Equal("image/png", first.Content.Headers.ContentType?.MediaType);
        Assert.Contains("immutable", first.Headers.CacheControl?.ToString());
        var etag = first.Headers.ETag;
        Assert.NotNull(etag);

        using var conditional = new HttpRequestMessage(HttpMethod.Get, url);
        conditional.Headers.IfNoneMatch.Add(etag);
        using var second = await api.Http.SendAsync(conditional);
        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
        Assert.Empty(await second.Content.ReadAsByteArrayAsync());

        // HEAD: GET's headers without the body.
        var bytes = await first.Content.ReadAsByteArrayAsync();
        using var head = await api.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, url));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal("image/png", head.Content.Headers.ContentType?.MediaType);
        Assert.Equal(bytes.Length, head.Content.Headers.ContentLength);
        Assert.Equal(etag, head.Headers.ETag);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        using var missing = await api.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/v1/images/nothere/0.png"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Theory]
    [InlineData("/v1/images/nothere/0.png")]
    [InlineData("/v1/images/..%2F..%2Fjobs.db")]
    [InlineData("/v1/images/%2Fetc%2Fpasswd")]
    [InlineData("/v1/images/a/../../jobs.db")]
    public async Task Unknown_or_escaping_image_keys_are_404(string path)
    {
        var (response, body) = await api.Get(path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(404, body!["status"]!.GetValue<int>());
    }

    [Fact]
    public async Task Unknown_generations_are_404_problems()
    {
        foreach (var (method, path) in new[] { (HttpMethod.Get, "/v1/generations/nope"), (HttpMethod.Post, "/v1/generations/nope/cancel"), (HttpMethod.Get, "/v1/generations/nope/events") })
        {
            using var response = await api.Http.SendAsync(new HttpRequestMessage(method, path));
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Theory]
    [InlineData("webp", "image/webp", ".webp")]
    [InlineData("jpeg", "image/jpeg", ".jpg")]
    public async Task A_job_can_ask_for_webp_or_jpeg_and_every_stage_is_served_in_it_with_its_metadata(string format, string contentType, string extension)
    {
        var done = await api.WaitUntilFinished(await api.Submit(new { prompt = "a red apple", seed = 5, resolution = 32, steps = 3, outputFormat = format, outputQuality = 80 }));
        Assert.Equal("succeeded", ApiClient.Status(done));
        Assert.Equal((format, 80), (done["request"]!["outputFormat"]!.GetValue<string>(), done["request"]!["outputQuality"]!.GetValue<int>()));
        foreach (var url in new[] { done["images"]![0]!["url"]!, done["stageImages"]![0]!["images"]![0]!["url"]! }.Select(u => u.GetValue<string>()))
        {
            Assert.EndsWith(extension, url);
            using var response = await api.Http.GetAsync(url);
            Assert.Equal(contentType, response.Content.Headers.ContentType?.MediaType);
            var bytes = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal(5, (ImageOutput.ReadMetadata(new MemoryStream(bytes)) ?? throw new InvalidDataException($"{url} carries no metadata.")).Seed);
            using var decoded = Image.Load(bytes, out var detected);
            Assert.Equal(contentType, detected.DefaultMimeType);
        }
    }

    [Fact]
    public async Task An_unknown_format_or_a_quality_without_a_lossy_format_is_a_400()
    {
        var (unknown, body) = await api.Post("/v1/generations", new { prompt = "x", outputFormat = "gif", outputQuality = 101 });
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal(["outputFormat", "outputQuality"], body!["errors"]!.AsObject().Select(e => e.Key).Order());
        Assert.Contains("png, webp, jpeg", body["errors"]!["outputFormat"]![0]!.GetValue<string>());

        var (png, pngBody) = await api.Post("/v1/generations", new { prompt = "x", outputQuality = 50 });
        Assert.Equal(HttpStatusCode.BadRequest, png.StatusCode);
        Assert.Contains("PNG is lossless", pngBody!["errors"]!["outputQuality"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Invalid_fields_are_a_400_with_errors_by_field()
    {
        var (response, body) = await api.Post("/v1/generations", new { prompt = "x", numImages = 9, sampler = "euler", resolution = 7 });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = body!["errors"]!.AsObject();
        Assert.Equal(["numImages", "resolution", "sampler"], errors.Select(e => e.Key).Order());
    }

    [Theory]
    [InlineData("{\"prompt\": \"x\",", "application/json", 400, "The body is not valid JSON (line 1", null)]
    [InlineData("[1, 2]", "application/json", 400, "The body must be a JSON object", null)]
    [InlineData("\"a cat\"", "application/json", 400, "The body must be a JSON object", null)]
    [InlineData("{\"prompt\": \"x\",}", "application/json", 400, "trailing comma", null)]
    [InlineData("{\"prompt\": 5}", "application/json", 400, "'prompt' must be a string.", "prompt")]
    [InlineData("{\"promt\": \"x\"}", "application/json", 400, "'promt' is not a field of this request", "promt")]
    [InlineData("{\"prompt\": \"x\", \"numImages\": \"two\"}", "application/json", 400, "'numImages' must be a whole number.", "numImages")]
    [InlineData("{\"prompt\": \"x\", \"guidanceScale\": \"high\"}", "application/json", 400, "'guidanceScale' must be a number.", "guidanceScale")]
    [InlineData("", "application/json", 400, "The request has no body", null)]
    [InlineData("prompt=x", "text/plain", 415, "text/plain", null)]
    public async Task Unreadable_bodies_are_a_400_or_415_with_the_reason(string body, string contentType, int status, string reason, string? field)
    {
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        using var response = await api.Http.PostAsync("/v1/generations", content);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var detail = problem["detail"]!.GetValue<string>();
        Assert.Contains(reason, detail);
        // Written for the person who sent it: no .NET type names, parameter names or framework advice.
        foreach (var internals in new[] { "System.", "TextToImage.", "`1", "Implicit body", "Service", "$.", "reader options" })
            Assert.DoesNotContain(internals, detail);
        if (field is null) Assert.Null(problem["errors"]);
        else Assert.Equal(detail, problem["errors"]![field]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Bodies_over_the_limit_are_413_whether_their_length_is_declared_or_not()
    {
        var large = $"{{\"prompt\": \"{new string('a', 100_000)}\"}}";
        using var declared = await api.Http.PostAsync("/v1/generations", new StringContent(large, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, declared.StatusCode);
        Assert.Equal("application/problem+json", declared.Content.Headers.ContentType?.MediaType);

        using var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(large)));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/generations") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        try
        {
            using var undeclared = await api.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, undeclared.StatusCode);
        }
        catch (HttpRequestException e) when (e.InnerException is IOException)
        {
            // The server answers 413 as soon as the stream passes the limit and closes the connection;
            // on a loaded machine HttpClient can still be writing the rest and sees the close first
            // (broken pipe) instead of the answer. Either way the body was refused, never processed.
        }

        // The service goes on serving.
        Assert.Equal(HttpStatusCode.OK, (await api.Get("/v1/models")).Response.StatusCode);
    }

    [Fact]
    public async Task Delete_removes_a_finished_job_and_its_images_and_refuses_a_running_one()
    {
        var id = await api.Submit(Quick(resolution: 32, seed: 31));
        var done = await api.WaitUntilFinished(id);
        var urls = done["images"]!.AsArray().Concat(done["stageImages"]!.AsArray().SelectMany(s => s!["images"]!.AsArray()))
            .Select(i => i!["url"]!.GetValue<string>()).ToList();
        Assert.Equal(2, urls.Count);
        foreach (var url in urls) Assert.Equal(HttpStatusCode.OK, (await api.Http.GetAsync(url)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await api.Http.DeleteAsync($"/v1/generations/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await api.Get($"/v1/generations/{id}")).Response.StatusCode);
        foreach (var url in urls) Assert.Equal(HttpStatusCode.NotFound, (await api.Http.GetAsync(url)).StatusCode);
        Assert.False(Directory.Exists(Path.Combine(host.DataRoot, "images", id)));
        Assert.Equal(HttpStatusCode.NotFound, (await api.Http.DeleteAsync($"/v1/generations/{id}")).StatusCode);

        var slow = await api.Submit(new { prompt = "slow", seed = 1, steps = 1000, sampler = "ddpm", resolution = 16 });
        await api.WaitUntil(slow, job => ApiClient.Status(job) == "running");
        var refused = await api.Http.DeleteAsync($"/v1/generations/{slow}");
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        await api.Post($"/v1/generations/{slow}/cancel", new { });
        await api.WaitUntilFinished(slow);
        Assert.Equal(HttpStatusCode.NoContent, (await api.Http.DeleteAsync($"/v1/generations/{slow}")).StatusCode);
    }

    [Fact]
    public async Task A_queued_job_and_a_running_job_can_both_be_canceled()
    {
        var slow = await api.Submit(new { prompt = "slow", seed = 1, steps = 1000, sampler = "ddpm", resolution = 16 });
        var waiting = await api.Submit(Quick(seed: 2));
        var queued = await api.Generation(waiting);
        Assert.Equal("queued", ApiClient.Status(queued));
        Assert.True(queued["queuePosition"]!.GetValue<int>() >= 1);

        var (cancelQueued, canceled) = await api.Post($"/v1/generations/{waiting}/cancel", new { });
        Assert.Equal(HttpStatusCode.OK, cancelQueued.StatusCode);
        Assert.Equal("canceled", ApiClient.Status(canceled!));

        var started = await api.WaitUntil(slow, job => job["progress"]?["step"]?.GetValue<int>() > 0);
        var stepWhenAsked = started["progress"]!["step"]!.GetValue<int>();
        var (cancelRunning, requested) = await api.Post($"/v1/generations/{slow}/cancel", new { });
        Assert.Equal(HttpStatusCode.Accepted, cancelRunning.StatusCode);
        Assert.True(requested!["cancelRequested"]!.GetValue<bool>());
        var stopped = await api.WaitUntilFinished(slow);
        Assert.Equal("canceled", ApiClient.Status(stopped));
        Assert.Empty(stopped["images"]!.AsArray());
        Assert.True(stepWhenAsked < 1000);

        Assert.Equal(HttpStatusCode.OK, (await api.Post($"/v1/generations/{slow}/cancel", new { })).Response.StatusCode);
        Assert.Equal("canceled", ApiClient.Status(await api.Generation(waiting)));
    }

    [Fact]
    public async Task Canceling_a_finished_job_is_a_409()
    {
        var done = await api.WaitUntilFinished(await api.Submit(Quick(seed: 5)));
        var (response, problem) = await api.Post($"/v1/generations/{done["id"]}/cancel", new { });
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("succeeded", problem!["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_idempotency_key_returns_the_same_job_for_the_same_body_and_409_for_another()
    {
        var key = Guid.NewGuid().ToString();
        void WithKey(HttpRequestMessage request) => request.Headers.Add("Idempotency-Key", key);
        var (first, job) = await api.Post("/v1/generations", Quick(seed: 8), WithKey);
        var (again, same) = await api.Post("/v1/generations", Quick(seed: 8), WithKey);
        var (other, conflict) = await api.Post("/v1/generations", Quick(seed: 9), WithKey);
        var (fresh, newJob) = await api.Post("/v1/generations", Quick(seed: 8), r => r.Headers.Add("Idempotency-Key", key + "-2"));

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.True(again.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.OK);
        Assert.Equal(job!["id"]!.GetValue<string>(), same!["id"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, other.StatusCode);
        Assert.Contains(job["id"]!.GetValue<string>(), conflict!["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Accepted, fresh.StatusCode);
        Assert.NotEqual(job["id"]!.GetValue<string>(), newJob!["id"]!.GetValue<string>());
        await api.WaitUntilFinished(newJob["id"]!.GetValue<string>());
        await api.WaitUntilFinished(job["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Prefer_wait_holds_the_answer_until_the_job_ends()
    {
        var (response, job) = await api.Post("/v1/generations", Quick(seed: 12), r => r.Headers.Add("Prefer", "wait=60"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("succeeded", ApiClient.Status(job!));
        Assert.Equal("wait=60", response.Headers.GetValues("Preference-Applied").Single());

        var (tooLong, problem) = await api.Post("/v1/generations", Quick(), r => r.Headers.Add("Prefer", "wait=61"));
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.NotNull(problem!["errors"]!["Prefer"]);
    }

    [Fact]
    public async Task Events_stream_progress_stages_and_the_end()
    {
        var id = await api.Submit(Quick(resolution: 32, seed: 21));
        using var response = await api.Http.GetAsync($"/v1/generations/{id}/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = new List<(string Type, JsonNode Data)>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        string? type = null;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("event: ")) type = line["event: ".Length..];
            else if (line.StartsWith("data: ")) events.Add((type!, JsonNode.Parse(line["data: ".Length..])!));
        }

        Assert.DoesNotContain(events, e => e.Type is not ("status" or "progress" or "stage" or "end" or "ping"));
        Assert.Equal("status", events[0].Type);
        Assert.Equal("end", events[^1].Type);
        Assert.Equal("succeeded", ApiClient.Status(events[^1].Data));
        Assert.Contains(events, e => e.Type == "stage" && e.Data["resolution"]!.GetValue<int>() == 16);
        Assert.Contains(events, e => e.Type == "status" && ApiClient.Status(e.Data) == "succeeded");
        var fractions = events.Where(e => e.Type == "progress").Select(e => e.Data["fraction"]!.GetValue<double>()).ToList();
        Assert.Equal(fractions.Order(), fractions);
    }

    [Fact]
    public async Task Jobs_list_newest_first_in_pages_and_by_status()
    {
        var ids = new List<string>();
        for (var i = 0; i < 3; i++) ids.Add(await api.Submit(Quick(seed: 30 + i)));
        foreach (var id in ids) await api.WaitUntilFinished(id);

        var (_, page1) = await api.Get("/v1/generations?limit=2&status=succeeded");
        var cursor = page1!["nextCursor"]!.GetValue<string>();
        var (_, page2) = await api.Get($"/v1/generations?limit=2&status=succeeded&cursor={cursor}");
        var listed = page1["items"]!.AsArray().Concat(page2!["items"]!.AsArray()).Select(j => j!["id"]!.GetValue<string>()).ToList();
        Assert.Equal(ids.AsEnumerable().Reverse().ToList(), listed.Take(3).ToList());
        Assert.All(page1["items"]!.AsArray(), j => Assert.Equal("succeeded", ApiClient.Status(j!)));

        var (bad, problem) = await api.Get("/v1/generations?status=done&limit=0");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(["limit", "status"], problem!["errors"]!.AsObject().Select(e => e.Key).Order());
    }

    [Fact]
    public async Task Models_health_and_readiness_describe_the_service()
    {
        var (models, list) = await api.Get("/v1/models");
        Assert.Equal(HttpStatusCode.OK, models.StatusCode);
        var model = Assert.Single(list!.AsArray())!;
        Assert.Equal(TinyModel.Name, model["name"]!.GetValue<string>());
        Assert.True(model["default"]!.GetValue<bool>());
        Assert.Equal([16, 32, 64], model["resolutions"]!.AsArray().Select(r => r!.GetValue<int>()));
        Assert.Equal("super_resolution", model["stages"]![1]!["kind"]!.GetValue<string>());
        Assert.False(model["promptVocabulary"]!.GetValue<bool>());

        // The limits are the validator's: one past each is refused, naming the field.
        var limits = model["limits"]!;
        Assert.Equal(["ddpm", "ddim", "dpmpp-2m"], limits["samplers"]!.AsArray().Select(n => n!.GetValue<string>()));
        foreach (var (field, past) in new[] { ("steps", limits["maxSteps"]!.GetValue<int>() + 1), ("numImages", limits["maxImages"]!.GetValue<int>() + 1) })
        {
            var (refused, problem) = await api.Post("/v1/generations", new Dictionary<string, object> { ["prompt"] = "a red apple", [field] = past });
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.NotNull(problem!["errors"]![field]);
        }

        Assert.Equal(HttpStatusCode.OK, (await api.Http.GetAsync("/healthz")).StatusCode);
        var ready = await api.WaitUntilReady();
        Assert.Equal("Healthy", ready["status"]!.GetValue<string>());
        Assert.Equal(["jobs", "model", "storage"], ready["checks"]!.AsObject().Select(c => c.Key).Order());
    }

    [Fact]
    public async Task The_dashboard_answers_local_requests()
    {
        using var response = await api.Http.GetAsync("/hangfire");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("TextToImage jobs", await response.Content.ReadAsStringAsync());
    }
}
