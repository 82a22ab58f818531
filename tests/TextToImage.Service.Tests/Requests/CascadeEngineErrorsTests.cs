using TextToImage.Service.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using TextToImage.Diffusion.Pipelines;
using TextToImage.Service.Hosting;
using TextToImage.Service.Jobs;
using TextToImage.Service.Models;

namespace TextToImage.Service.Tests.Requests;

/// <summary>Which engine failures are the caller's: only the engine's own request error becomes an invalid_request rejection.</summary>
public sealed class CascadeEngineErrorsTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>
{
    [Fact]
    public void A_request_the_model_cannot_run_is_rejected_as_the_callers_error()
    {
        var catalog = new ModelCatalog([model.Folder["models"]], null, NullLogger<ModelCatalog>.Instance);
        using var engine = new CascadeEngine(catalog, Options.Create(new ModelsOptions { Device = ModelDevice.Cpu }),
            Options.Create(new JobsOptions()), new ServiceMetrics(new TestMeterFactory()),
            NullLogger<CascadeEngine>.Instance);
        var parameters = new GenerationParameters
        {
            Prompt = "a red apple", NumImages = 1, Seed = 1, GuidanceScale = 1, Steps = 2, Sampler = "ddim",
            Resolution = catalog.Find(catalog.DefaultName)!.Resolutions[0], Model = catalog.DefaultName!,
        };
        // Past the request validator (a job stored by an older version, say): the engine's own check refuses it.
        var rejected = Assert.Throws<GenerationRejectedException>(() =>
            engine.Generate(parameters with { Steps = 1_000_000 }, null, _ => { }, _ => { }, CancellationToken.None));
        Assert.Equal(JobError.InvalidRequest, rejected.Code);
        Assert.IsType<InvalidGenerationRequestException>(rejected.InnerException);
        Assert.Contains("steps must be between 1 and", rejected.Message);

        Assert.Single(engine.Generate(parameters, null, _ => { }, _ => { }, CancellationToken.None));
    }
}
