using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using TextToImage.Api.Tests.Support;
using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Pipelines;
using Xunit.Abstractions;

namespace TextToImage.Api.Tests;

/// <summary>
/// POST /v1/edits and /v1/upscales end to end: multipart uploads through the real HTTP pipeline,
/// the job queue, the engine on the bundled model (<see cref="BundledModelHost"/>; sizes are read from
/// GET /v1/models), storage.
/// </summary>
public sealed class ImageJobsApiTests(BundledModelHost bundled, ITestOutputHelper output) : IClassFixture<BundledModelHost>
{
    readonly ApiClient api = bundled.Host.Client();

    async Task<IReadOnlyList<int>> Resolutions()
    {
        var models = (await api.Get("/v1/models")).Body!.AsArray();
        return models[0]!["resolutions"]!.AsArray().Select(r => r!.GetValue<int>()).ToList();
    }

    async Task<(HttpResponseMessage Response, JsonNode? Body)> Post(string path, HttpContent content)
    {
        var response = await api.Http.PostAsync(path, content);
        var text = await response.Content.ReadAsStringAsync();
        return (response, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    async Task<JsonNode> Succeeded(string path, HttpContent content)
    {
        var (response, body) = await Post(path, content);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"Expected 202, got {(int)response.StatusCode}: {body}");
        var done = await api.WaitUntilFinished(body!["id"]!.GetValue<string>());
        Assert.True(ApiClient.Status(done) == "succeeded", done.ToJsonString());
        return done;
    }

    async Task<Image<Rgb24>> Download(string url) => Image.Load<Rgb24>(await api.Http.GetByteArrayAsync(url));

    static byte[] Pixels(Image<Rgb24> image)
    {
        var bytes = new byte[image.Width * image.Height * 3];
        image.CopyPixelDataTo(bytes);
        return bytes;
    }

    [Fact]
    public async Task The_bundled_model_draws_a_paraphrase_as_its_nearest_caption_and_every_answer_says_which()
    {
        var model = (await api.Get("/v1/models")).Body!.AsArray()[0]!;
        Assert.True(model["promptVocabulary"]!.GetValue<bool>());

        var (posted, job) = await api.Post("/v1/generations", new { prompt = "a smiling cat", seed = 1, steps = 4, resolution = 32 });
        Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
        var done = await api.WaitUntilFinished(job!["id"]!.GetValue<string>());
        Assert.True(ApiClient.Status(done) == "succeeded", done.ToJsonString());
        var image = done["images"]![0]!;
        var drawnAs = image["drawnAs"]!.GetValue<string>();
        Assert.NotEqual("a smiling cat", drawnAs);
        Assert.Contains("cat", drawnAs);
        var metadata = ImageOutput.ReadMetadata(new MemoryStream(await api.Http.GetByteArrayAsync(image["url"]!.GetValue<string>())))!;
        Assert.Equal("a smiling cat", metadata.Prompt);
        Assert.Equal(drawnAs, metadata.Extra!["drawn_as"]);

        // OpenAI's Images API says it as its clients expect: the revised prompt.
        var (answered, images) = await api.Post("/v1/images/generations", new { prompt = "a smiling cat", size = "32x32", response_format = "url" });
        Assert.True(answered.StatusCode == HttpStatusCode.OK, images?.ToJsonString());
        Assert.Equal(drawnAs, images!["data"]![0]!["revised_prompt"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_edit_at_strength_0_returns_the_uploaded_picture_and_links_its_input()
    {
        var largest = (await Resolutions())[^1];
        var png = Uploads.Png(largest, largest);
        var done = await Succeeded("/v1/edits", Uploads.Form([("image", png, "in.png")], new { prompt = "a red apple", strength = 0, seed = 3, steps = 4 }));

        Assert.Equal("edit", done["kind"]!.GetValue<string>());
        Assert.Equal("edit", done["request"]!["kind"]!.GetValue<string>());
        Assert.Equal(0, done["request"]!["strength"]!.GetValue<double>());
        var image = done["images"]![0]!;
        Assert.Equal(largest, image["width"]!.GetValue<int>());
        using var output = await Download(image["url"]!.GetValue<string>());
        using var input = Image.Load<Rgb24>(png);
        Assert.Equal(Pixels(input), Pixels(output));

        var inputUrl = done["inputs"]!["image"]!.GetValue<string>();
        Assert.EndsWith($"/v1/images/{done["id"]!.GetValue<string>()}/input.png", inputUrl);
        Assert.Null(done["inputs"]!["mask"]);
        using var stored = await Download(inputUrl);
        Assert.Equal(Pixels(input), Pixels(stored));
    }

    [Fact]
    public async Task Inpainting_keeps_the_unmasked_pixels_and_stores_the_mask()
    {
        var largest = (await Resolutions())[^1];
        using var picture = Uploads.Picture(90, 70);
        using var mask = Uploads.CentreMask(90, 70);
        var done = await Succeeded("/v1/edits", Uploads.Form(
            [("image", Uploads.Encode(picture, new JpegEncoder { Quality = 95 }), "in.jpg"), ("mask", Uploads.Encode(mask), "mask.png")],
            new { prompt = "a red apple", seed = 4, steps = 4, jumpLength = 2, jumpCount = 1 }));

        Assert.Equal(1.0, done["request"]!["strength"]!.GetValue<double>());
        Assert.NotNull(done["inputs"]!["mask"]);
        var metadata = ImageOutput.ReadMetadata(new MemoryStream(await api.Http.GetByteArrayAsync(done["images"]![0]!["url"]!.GetValue<string>())))!;
        Assert.Equal(("edit", "1", "inpainting", "2", "1"),
            (metadata.Extra!["kind"], metadata.Extra["strength"], metadata.Extra["mask"], metadata.Extra["jump_length"], metadata.Extra["jump_count"]));
        using var storedInput = await Download(done["inputs"]!["image"]!.GetValue<string>());
        using var storedMask = Image.Load<L8>(await api.Http.GetByteArrayAsync(done["inputs"]!["mask"]!.GetValue<string>()));
        Assert.Equal((90, 70), (storedMask.Width, storedMask.Height));

        // Outside the mask (at the output's resolution) the output is the stored input at that size.
        using var result = await Download(done["images"]![0]!["url"]!.GetValue<string>());
        using var expected = StageImages.Resize(storedInput, largest);
        using var stageMask = StageImages.ResizeMask(storedMask, largest);
        using var keep = ImageTensors.MaskFromImage(stageMask).eq(0).expand(1, 3, -1, -1);
        using var actual = ImageTensors.FromImage(result);
        using var wanted = ImageTensors.FromImage(expected);
        using var difference = (actual - wanted).abs().mul(127.5);
        var kept = difference.masked_select(keep).max().item<float>();
        var repainted = difference.masked_select(keep.logical_not()).mean().item<float>();
        output.WriteLine($"max |diff| outside the mask: {kept} levels; mean |diff| inside: {repainted:F1} levels");
        Assert.True(kept <= 0.5f, $"unmasked pixels changed by up to {kept} levels");
        Assert.True(repainted > 5, "the masked region was not repainted");
    }

    [Fact]
    public async Task An_upscale_makes_each_super_resolution_size_and_the_same_seed_the_same_png()
    {
        var resolutions = await Resolutions();
        var jpeg = Uploads.Encode(Uploads.Picture(20, 12), new JpegEncoder());
        var done = await Succeeded("/v1/upscales", Uploads.Form([("image", jpeg, "small.jpg")], new { seed = 8, noiseLevel = 100 }));
        Assert.Equal("upscale", done["kind"]!.GetValue<string>());
        Assert.Equal(100, done["request"]!["noiseLevel"]!.GetValue<int>());
        var url = done["images"]![0]!["url"]!.GetValue<string>();
        using (var image = await Download(url)) Assert.Equal((resolutions[^1], resolutions[^1]), (image.Width, image.Height));
        // The PNG says what ran: the super-resolution stages at the asked noise level, no base stage.
        var metadata = ImageOutput.ReadMetadata(new MemoryStream(await api.Http.GetByteArrayAsync(url)))!;
        Assert.Equal("upscale", metadata.Extra!["kind"]);
        Assert.Equal("100", metadata.Extra["noise_level"]);
        Assert.False(metadata.Extra.ContainsKey("stage_0"));
        Assert.EndsWith("noise level 100", metadata.Extra["stage_1"]);
        Assert.Equal(done["request"]!["steps"]!.GetValue<int>(), metadata.Steps);
        Assert.Equal(done["request"]!["sampler"]!.GetValue<string>(), metadata.Sampler);

        var again = await Succeeded("/v1/upscales", Uploads.Form([("image", jpeg, "small.jpg")], new { seed = 8, noiseLevel = 100 }));
        Assert.Equal(await api.Http.GetByteArrayAsync(url), await api.Http.GetByteArrayAsync(again["images"]![0]!["url"]!.GetValue<string>()));

        var first = await Succeeded("/v1/upscales", Uploads.Form([("image", jpeg, "small.jpg")], new { seed = 8, resolution = resolutions[1] }));
        Assert.Equal(resolutions[1], first["images"]![0]!["width"]!.GetValue<int>());

        var (refused, problem) = await Post("/v1/upscales", Uploads.Form([("image", jpeg, "small.jpg")], new { resolution = resolutions[0] }));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.NotNull(problem!["errors"]!["resolution"]);
    }

    [Fact]
    public async Task Bad_uploads_answer_their_status_with_a_problem_and_the_service_keeps_working()
    {
        var png = Uploads.Png(32, 32);
        using var small = Uploads.CentreMask(16, 16);
        var cases = new List<(string Name, Func<HttpContent> Content, int Status, string Reason)>
        {
            ("gif", () => Uploads.Form([("image", Uploads.Encode(Uploads.Picture(8, 8), new GifEncoder()), "a.gif")]), 415, "PNG, JPEG or WebP"),
            ("text", () => Uploads.Form([("image", "hello"u8.ToArray(), "a.png")]), 415, "PNG, JPEG or WebP"),
            ("truncated", () => Uploads.Form([("image", png[..(png.Length / 2)], "a.png")]), 400, "truncated"),
            ("corrupt", () => Uploads.Form([("image", Corrupt(png), "a.png")]), 400, "corrupt"),
            ("mask size", () => Uploads.Form([("image", png, "a.png"), ("mask", Uploads.Encode(small), "m.png")]), 400, "16x16"),
            ("no image", () => Uploads.Form([], new { prompt = "x" }), 400, "image"),
            ("bomb", () => Uploads.Form([("image", PngDeclaring(100_000, 100_000), "bomb.png")]), 400, "100000x100000"),
            ("json body", () => JsonContentOf(new { prompt = "x" }), 415, "multipart/form-data"),
            ("declared too large", () => Uploads.Form([("image", new byte[11 << 20], "big.png")]), 413, "limit"),
            // Just over the limit: the server reads up to it, and what it leaves unread fits the socket buffers.
            ("chunked too large", () => new Uploads.Unsized(Uploads.Form([("image", new byte[(10 << 20) + (16 << 10)], "big.png")])), 413, "too large"),
        };
        foreach (var (name, content, status, reason) in cases)
        {
            foreach (var path in new[] { "/v1/edits", "/v1/upscales" })
            {
                if (name == "mask size" && path == "/v1/upscales") continue;
                using var body = content();
                var clock = System.Diagnostics.Stopwatch.StartNew();
                // As curl does for large bodies: the 413 for a declared length comes before the body is sent.
                using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = body };
                request.Headers.ExpectContinue = true;
                using var response = await api.Http.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                if (name == "bomb") output.WriteLine($"{path}: bomb refused with {(int)response.StatusCode} in {clock.Elapsed.TotalMilliseconds:F1} ms (round trip)");
                Assert.True(status == (int)response.StatusCode, $"{name} on {path}: expected {status}, got {(int)response.StatusCode}: {text}");
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                Assert.True(text.Contains(reason), $"{name} on {path}: \"{reason}\" not in {text}");
            }
        }

        // After all that, a good upload still runs; one far over the JSON body limit (Api:MaxRequestBytes), as pictures are.
        var noisy = Noise(300, 300);
        Assert.True(noisy.Length > 4 * 65536, $"{noisy.Length} bytes");
        await Succeeded("/v1/edits", Uploads.Form([("image", noisy, "a.png")], new { strength = 0.5, seed = 1, steps = 2, resolution = (await Resolutions())[0] }));
    }

    [Fact]
    public async Task The_same_idempotency_key_and_upload_give_the_same_job_another_picture_a_409()
    {
        async Task<HttpResponseMessage> Send(byte[] picture)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/upscales") { Content = Uploads.Form([("image", picture, "a.png")], new { seed = 2 }) };
            request.Headers.Add("Idempotency-Key", "upscale-1");
            return await api.Http.SendAsync(request);
        }
        using var first = await Send(Uploads.Png(24, 24));
        using var second = await Send(Uploads.Png(24, 24));
        using var other = await Send(Uploads.Png(25, 24));
        var firstId = JsonNode.Parse(await first.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        Assert.Equal(firstId, JsonNode.Parse(await second.Content.ReadAsStringAsync())!["id"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, other.StatusCode);
        await api.WaitUntilFinished(firstId);
    }

    [Fact]
    public async Task The_openapi_document_shows_the_uploads_as_multipart_files()
    {
        var document = (await api.Get("/swagger/v1/swagger.json")).Body!;
        foreach (var (path, fields) in new[] { ("/v1/edits", new[] { "image", "mask" }), ("/v1/upscales", new[] { "image" }) })
        {
            var body = document["paths"]![path]!["post"]!["requestBody"]!["content"]!.AsObject();
            Assert.Equal(["multipart/form-data"], body.Select(c => c.Key));
            var schema = body["multipart/form-data"]!["schema"]!;
            if (schema["$ref"] is { } reference)
                schema = document["components"]!["schemas"]![reference.GetValue<string>().Split('/')[^1]]!;
            var properties = schema["properties"]!.AsObject();
            foreach (var field in fields)
            {
                var property = properties.First(p => string.Equals(p.Key, field, StringComparison.OrdinalIgnoreCase)).Value!;
                Assert.Equal(("string", "binary"), (property["type"]!.GetValue<string>(), property["format"]!.GetValue<string>()));
            }
            Assert.Contains(properties, p => string.Equals(p.Key, "prompt", StringComparison.OrdinalIgnoreCase));
        }
    }

    static byte[] Corrupt(byte[] png)
    {
        var copy = (byte[])png.Clone();
        for (var i = 40; i < copy.Length - 20; i += 7) copy[i] ^= 0x5A; // inside the data, past the header; CRCs no longer match
        return copy;
    }

    /// <summary>A PNG of random pixels: it does not compress, so its size is about 3 bytes a pixel.</summary>
    static byte[] Noise(int width, int height)
    {
        var random = new Random(1);
        var pixels = new byte[width * height * 3];
        random.NextBytes(pixels);
        using var image = Image.LoadPixelData<Rgb24>(pixels, width, height);
        return Uploads.Encode(image);
    }

    static HttpContent JsonContentOf(object value) => System.Net.Http.Json.JsonContent.Create(value);

    static byte[] PngDeclaring(int width, int height) => TestPng.Declaring(width, height);
}
