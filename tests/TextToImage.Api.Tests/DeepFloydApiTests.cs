using System.Net;
using SixLabors.ImageSharp;
using TextToImage.Api.Tests.Support;

namespace TextToImage.Api.Tests;

/// <summary>A DeepFloyd IF cascade in its diffusers layout (a tiny random one) is listed and served like any model.</summary>
public sealed class DeepFloydApiTests
{
    [Fact]
    public async Task A_DeepFloyd_IF_cascade_in_its_diffusers_layout_is_listed_and_served()
    {
        using var models = new TempFolder();
        TinyDeepFloyd.Create(Path.Combine(models.Path, TinyDeepFloyd.Name));
        using var host = new ApiHost(new Dictionary<string, string?> { ["Models:Folders:0"] = models.Path });
        using var api = host.Client();
        await api.WaitUntilReady();

        var (response, listing) = await api.Get("/v1/models");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var model = Assert.Single(listing!.AsArray(), m => m!["name"]!.GetValue<string>() == TinyDeepFloyd.Name)!;
        Assert.Equal("t5-v1_1", model["textEncoder"]!.GetValue<string>());
        Assert.Equal([16, 32], model["resolutions"]!.AsArray().Select(r => r!.GetValue<int>()));
        var stages = model["stages"]!.AsArray();
        Assert.Equal(["I", "II"], stages.Select(s => s!["name"]!.GetValue<string>()));
        Assert.Equal([(100, 7.0), (50, 4.0)], stages.Select(s => (s!["steps"]!.GetValue<int>(), s["guidanceScale"]!.GetValue<double>())));
        Assert.Equal(250, stages[1]!["noiseLevel"]!.GetValue<int>());

        // IF's own defaults run: the request names no steps, sampler or guidance.
        var id = await api.Submit(new { prompt = "a photo of a red <b>apple</b>", model = TinyDeepFloyd.Name, seed = 4, resolution = 32 });
        var done = await api.WaitUntilFinished(id);
        Assert.Equal("succeeded", ApiClient.Status(done));
        var image = Image.Identify(await api.Http.GetByteArrayAsync(done["images"]![0]!["url"]!.GetValue<string>()));
        Assert.Equal((32, 32), (image.Width, image.Height));
    }
}
