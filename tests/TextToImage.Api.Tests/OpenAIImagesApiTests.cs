using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using OpenAI;
using OpenAI.Images;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TextToImage.Api.Tests.Support;
using TextToImage.Diffusion.IO;

namespace TextToImage.Api.Tests;

/// <summary>POST /v1/images/generations as the official OpenAI .NET SDK calls it, against the real server on 127.0.0.1.</summary>
public sealed class OpenAIImagesApiTests(ApiHost host) : IClassFixture<ApiHost>
{
    readonly ApiClient api = host.Client();

    ImageClient Sdk(string model = TinyModel.Name, string key = "no-key-needed", ApiClient? on = null) =>
        new(model, new ApiKeyCredential(key), new OpenAIClientOptions
        {
            Endpoint = new Uri((on ?? api).Http.BaseAddress!, "v1"),
            // A refused request must reach the test as it is, not as the last of several retries.
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        });

    [Fact]
    public async Task The_sdk_gets_the_image_bytes_of_the_asked_size_with_b64_json()
    {
        GeneratedImage image = await Sdk().GenerateImageAsync("a red apple", new ImageGenerationOptions
        {
            Size = new GeneratedImageSize(32, 32),
            ResponseFormat = GeneratedImageFormat.Bytes,
            EndUserId = "user-42",
        });

        var png = image.ImageBytes.ToArray();
        using (var decoded = Image.Load(png, out var format))
        {
            Assert.Equal("image/png", format.DefaultMimeType);
            Assert.Equal((32, 32), (decoded.Width, decoded.Height));
        }
        Assert.Equal("a red apple", ImageOutput.ReadMetadata(new MemoryStream(png))!.Prompt);
        Assert.Equal("a red apple", image.RevisedPrompt);
        Assert.Null(image.ImageUri);
    }

    [Fact]
    public async Task The_sdk_gets_n_distinct_urls_that_download_and_the_job_is_listed_like_any_other()
    {
        GeneratedImageCollection images = await Sdk().GenerateImagesAsync("a cat", 2, new ImageGenerationOptions
        {
            Size = new GeneratedImageSize(16, 16),
            ResponseFormat = GeneratedImageFormat.Uri,
            OutputFileFormat = GeneratedImageFileFormat.Webp,
            OutputCompressionFactor = 70,
        });

        Assert.Equal(2, images.Count);
        Assert.NotEqual(images[0].ImageUri, images[1].ImageUri);
        Assert.True(DateTimeOffset.UtcNow - images.CreatedAt < TimeSpan.FromHours(1));
        foreach (var image in images)
        {
            using var response = await api.Http.GetAsync(image.ImageUri);
            Assert.Equal("image/webp", response.Content.Headers.ContentType?.MediaType);
            using var decoded = Image.Load(await response.Content.ReadAsByteArrayAsync());
            Assert.Equal(16, decoded.Width);
        }
        var (_, page) = await api.Get("/v1/generations?limit=100");
        var job = page!["items"]!.AsArray().First(j => j!["images"]!.AsArray().Any(i => i!["url"]!.GetValue<string>() == images[0].ImageUri.ToString()))!;
        Assert.Equal(("a cat", 2, "webp", 70), (job["request"]!["prompt"]!.GetValue<string>(), job["request"]!["numImages"]!.GetValue<int>(),
            job["request"]!["outputFormat"]!.GetValue<string>(), job["request"]!["outputQuality"]!.GetValue<int>()));
    }

    [Fact]
    public async Task An_unsupported_size_is_a_400_the_sdk_reports_with_openai_error_fields()
    {
        var error = await Assert.ThrowsAsync<ClientResultException>(() => Sdk().GenerateImageAsync("a dog",
            new ImageGenerationOptions { Size = GeneratedImageSize.W1024xH1024 }));
        Assert.Equal(400, error.Status);
        Assert.Contains("size '1024x1024' is not supported", error.Message);

        var body = JsonNode.Parse(error.GetRawResponse()!.Content.ToString())!["error"]!;
        Assert.Equal(("invalid_request_error", "size", "unsupported_value"),
            (body["type"]!.GetValue<string>(), body["param"]!.GetValue<string>(), body["code"]!.GetValue<string>()));
        Assert.Equal("size '1024x1024' is not supported; use one of: 16x16, 32x32, 64x64 or auto.", body["message"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("{\"prompt\": \"x\", \"n\": 9}", "n", "numImages must be between 1 and 4.")]
    [InlineData("{\"prompt\": \"x\", \"model\": \"dall-e-3\"}", "model", "The model 'dall-e-3' does not exist on this service")]
    [InlineData("{\"prompt\": \"x\", \"style\": \"vivid\"}", "style", "style is not supported by this service.")]
    [InlineData("{\"prompt\": \"x\", \"quality\": \"hd\"}", "quality", "quality 'hd' is not supported by this service; use auto or standard.")]
    [InlineData("{\"prompt\": \"x\", \"output_compression\": 50}", "output_compression", "applies to the webp and jpeg output formats")]
    [InlineData("{\"prompt\": \"x\", \"response_format\": \"file\"}", "response_format", "response_format must be 'url' or 'b64_json'")]
    [InlineData("{\"prompt\": \"x\", \"seed\": 1}", "seed", "Unrecognized request argument supplied: seed")]
    [InlineData("{\"n\": 1}", "prompt", "prompt is required.")]
    [InlineData("{\"prompt\": 5}", "prompt", "prompt has the wrong type.")]
    public async Task Every_refused_request_is_a_400_in_openai_error_shape_naming_the_parameter(string json, string param, string message)
    {
        using var response = await api.Http.PostAsync("/v1/images/generations", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal(param, error["param"]!.GetValue<string>());
        Assert.Contains(message, error["message"]!.GetValue<string>());
        Assert.Equal("invalid_request_error", error["type"]!.GetValue<string>());
    }

    /// <summary>A 32 px opaque picture (or transparent where <paramref name="transparent"/> says), as PNG.</summary>
    static MemoryStream Rgba(Func<int, int, bool>? transparent = null)
    {
        using var image = new Image<Rgba32>(32, 32);
        for (var y = 0; y < 32; y++)
        for (var x = 0; x < 32; x++)
            image[x, y] = transparent?.Invoke(x, y) == true ? new Rgba32(0, 0, 0, 0) : new Rgba32(200, 30, 30, 255);
        var png = new MemoryStream();
        image.SaveAsPng(png);
        png.Position = 0;
        return png;
    }

    [Fact]
    public async Task The_sdk_edits_where_its_mask_is_transparent_and_the_job_is_an_inpainting_with_our_mask()
    {
        using var picture = Rgba();
        using var mask = Rgba(transparent: (x, _) => x < 16);
        GeneratedImage edited = await Sdk().GenerateImageEditAsync(picture, "apple.png", "a green apple", mask, "mask.png",
            new ImageEditOptions { Size = new GeneratedImageSize(32, 32), ResponseFormat = GeneratedImageFormat.Bytes });

        var png = edited.ImageBytes.ToArray();
        using (var decoded = Image.Load(png)) Assert.Equal(32, decoded.Width);
        var metadata = ImageOutput.ReadMetadata(new MemoryStream(png))!;
        Assert.Equal(("edit", "inpainting", "a green apple"), (metadata.Extra!["kind"], metadata.Extra["mask"], metadata.Prompt));

        var (_, page) = await api.Get("/v1/generations?limit=100");
        var job = page!["items"]!.AsArray().First(j => j!["request"]!["prompt"]!.GetValue<string>() == "a green apple")!;
        using var ours = Image.Load<L8>(await api.Http.GetByteArrayAsync(job["inputs"]!["mask"]!.GetValue<string>()));
        Assert.Equal((255, 0), (ours[3, 10].PackedValue, ours[28, 10].PackedValue));   // transparent: repaint (white); opaque: keep
    }

    [Fact]
    public async Task Without_a_mask_a_pictures_transparency_is_the_mask_and_an_opaque_picture_is_edited_whole()
    {
        using (var cutOut = Rgba(transparent: (_, y) => y >= 24))
            await Sdk().GenerateImageEditAsync(cutOut, "cut.png", "cut out", new ImageEditOptions { ResponseFormat = GeneratedImageFormat.Bytes });
        using (var opaque = Rgba())
            await Sdk().GenerateImageEditAsync(opaque, "whole.png", "whole", new ImageEditOptions { ResponseFormat = GeneratedImageFormat.Bytes });

        var (_, page) = await api.Get("/v1/generations?limit=100");
        JsonNode Job(string prompt) => page!["items"]!.AsArray().First(j => j!["request"]!["prompt"]!.GetValue<string>() == prompt)!;
        using var derived = Image.Load<L8>(await api.Http.GetByteArrayAsync(Job("cut out")["inputs"]!["mask"]!.GetValue<string>()));
        Assert.Equal((0, 255), (derived[5, 5].PackedValue, derived[5, 30].PackedValue));
        Assert.Null(Job("whole")["inputs"]!["mask"]);
        Assert.Equal(0.8, Job("whole")["request"]!["strength"]!.GetValue<double>());
    }

    [Fact]
    public async Task Edit_refusals_are_openai_errors_naming_the_parameter()
    {
        using var picture = Rgba();
        var many = await Assert.ThrowsAsync<ClientResultException>(() => Sdk().GenerateImageEditsAsync(picture, "p.png", "x", 2, new ImageEditOptions()));
        Assert.Equal(400, many.Status);
        Assert.Equal("n", JsonNode.Parse(many.GetRawResponse()!.Content.ToString())!["error"]!["param"]!.GetValue<string>());

        using var form = new MultipartFormDataContent { { new StringContent("x"), "prompt" } };
        using var noImage = await api.Http.PostAsync("/v1/images/edits", form);
        Assert.Equal(HttpStatusCode.BadRequest, noImage.StatusCode);
        Assert.Equal("image", JsonNode.Parse(await noImage.Content.ReadAsStringAsync())!["error"]!["param"]!.GetValue<string>());

        using var wrongSize = new MultipartFormDataContent
        {
            { new StringContent("x"), "prompt" }, { new StreamContent(Rgba()), "image", "p.png" }, { new ByteArrayContent(Uploads.Png(8, 8)), "mask", "m.png" },
        };
        using var refused = await api.Http.PostAsync("/v1/images/edits", wrongSize);
        var error = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal((HttpStatusCode.BadRequest, "mask"), (refused.StatusCode, error["param"]!.GetValue<string>()));
        Assert.Contains("The mask is 8x8 pixels but the image is 32x32", error["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task With_api_keys_the_sdk_key_is_the_bearer_token_and_a_job_not_done_in_time_is_a_504_and_canceled()
    {
        // No worker: the job waits in the queue until the 1 s wait runs out.
        using var keyed = new ApiHost(new Dictionary<string, string?>
        {
            ["Api:ApiKeys:0"] = "sk-test-1",
            ["Api:OpenAIWaitSeconds"] = "1",
            ["Jobs:InProcessWorker"] = "false",
        });
        var client = keyed.Client();

        var denied = await Assert.ThrowsAsync<ClientResultException>(() => Sdk(key: "sk-wrong", on: client).GenerateImageAsync("x"));
        Assert.Equal(401, denied.Status);
        Assert.Equal("invalid_api_key", JsonNode.Parse(denied.GetRawResponse()!.Content.ToString())!["error"]!["code"]!.GetValue<string>());

        var late = await Assert.ThrowsAsync<ClientResultException>(() => Sdk(key: "sk-test-1", on: client).GenerateImageAsync("x"));
        Assert.Equal(504, late.Status);
        Assert.Contains("not ready within 1 s", late.Message);

        client.Http.DefaultRequestHeaders.Add("X-Api-Key", "sk-test-1");
        var (_, page) = await client.Get("/v1/generations");
        Assert.Equal("canceled", ApiClient.Status(Assert.Single(page!["items"]!.AsArray())!));

        // A client that hangs up before the answer: its job is canceled too.
        using (var hangUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)))
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.Http.PostAsJsonAsync("/v1/images/generations", new { prompt = "y" }, hangUp.Token));
        var hungUp = await client.WaitUntil(await NewestId(client, "y"), job => ApiClient.Status(job) == "canceled");
        Assert.Equal("y", hungUp["request"]!["prompt"]!.GetValue<string>());
    }

    static async Task<string> NewestId(ApiClient client, string prompt)
    {
        for (var tries = 0; ; tries++)
        {
            var (_, page) = await client.Get("/v1/generations");
            if (page!["items"]!.AsArray().FirstOrDefault(j => j!["request"]!["prompt"]!.GetValue<string>() == prompt) is { } job) return job["id"]!.GetValue<string>();
            if (tries > 100) throw new TimeoutException($"No job with the prompt '{prompt}' was made.");
            await Task.Delay(50);
        }
    }
}
