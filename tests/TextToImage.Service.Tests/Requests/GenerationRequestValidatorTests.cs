using Microsoft.Extensions.Options;
using TextToImage.Service.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using TextToImage.Diffusion.Pipelines;
using TextToImage.Service.Models;
using TextToImage.Service.Requests;

namespace TextToImage.Service.Tests.Requests;

/// <summary>One tiny random cascade (16, 32, 64 px) shared by the validator and catalog tests.</summary>
public sealed class TinyModelFixture : IDisposable
{
    public TempFolder Folder { get; } = new();
    public string ModelFolder => Folder["models/tiny"];

    public TinyModelFixture() => RandomCascade.Create(ModelFolder, "tiny", seed: 0);

    public void Dispose() => Folder.Dispose();
}

public sealed class GenerationRequestValidatorTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>
{
    GenerationRequestValidator Validator(string? defaultModel = null) =>
        new(new ModelCatalog([model.Folder["models"]], defaultModel, NullLogger<ModelCatalog>.Instance), Options.Create(new WebhooksOptions()));

    [Fact]
    public void Defaults_come_from_the_model_and_a_seed_is_drawn()
    {
        var parameters = Validator().Validate(new CreateGenerationRequest { Prompt = "" }, out var errors);
        Assert.Empty(errors);
        Assert.NotNull(parameters);
        var index = ModelIndex.Load(model.ModelFolder);
        Assert.Equal(index.Name, parameters.Model);
        Assert.Equal("", parameters.Prompt);
        Assert.Null(parameters.NegativePrompt);
        Assert.Equal(1, parameters.NumImages);
        Assert.Equal(64, parameters.Resolution);
        Assert.Equal(index.Stages[0].Defaults.Steps, parameters.Steps);
        Assert.Equal(index.Stages[0].Defaults.GuidanceScale, parameters.GuidanceScale);
        Assert.Equal(index.Stages[0].Defaults.Sampler, parameters.Sampler);
        Assert.InRange(parameters.Seed, 0, uint.MaxValue);
    }

    [Fact]
    public void Given_values_are_kept()
    {
        var parameters = Validator().Validate(new CreateGenerationRequest
        {
            Prompt = "cat", NegativePrompt = "dog", NumImages = 4, Seed = GenerationRequestValidator.MaxSeed, GuidanceScale = 0,
            Steps = 7, Sampler = "dpmpp-2m", Resolution = 16,
        }, out var errors);
        Assert.Empty(errors);
        Assert.Equal((4, GenerationRequestValidator.MaxSeed, 0.0, 7, "dpmpp-2m", 16, "dog"),
            (parameters!.NumImages, parameters.Seed, parameters.GuidanceScale, parameters.Steps, parameters.Sampler, parameters.Resolution, parameters.NegativePrompt));
    }

    public static TheoryData<CreateGenerationRequest, string> Invalid => new()
    {
        { new CreateGenerationRequest(), "prompt" },
        { new CreateGenerationRequest { Prompt = new string('a', 1001) }, "prompt" },
        { new CreateGenerationRequest { Prompt = "a", NegativePrompt = new string('a', 1001) }, "negativePrompt" },
        { new CreateGenerationRequest { Prompt = "a", NumImages = 0 }, "numImages" },
        { new CreateGenerationRequest { Prompt = "a", NumImages = 5 }, "numImages" },
        { new CreateGenerationRequest { Prompt = "a", Seed = -1 }, "seed" },
        { new CreateGenerationRequest { Prompt = "a", Seed = 1L << 53 }, "seed" },
        { new CreateGenerationRequest { Prompt = "a", GuidanceScale = double.NaN }, "guidanceScale" },
        { new CreateGenerationRequest { Prompt = "a", GuidanceScale = 51 }, "guidanceScale" },
        { new CreateGenerationRequest { Prompt = "a", Sampler = "euler" }, "sampler" },
        { new CreateGenerationRequest { Prompt = "a", Steps = 0 }, "steps" },
        { new CreateGenerationRequest { Prompt = "a", Steps = 1001 }, "steps" },
        { new CreateGenerationRequest { Prompt = "a", Resolution = 128 }, "resolution" },
        { new CreateGenerationRequest { Prompt = "a", Model = "nope" }, "model" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Each_bad_field_is_named(CreateGenerationRequest request, string field)
    {
        Assert.Null(Validator().Validate(request, out var errors));
        var message = Assert.Single(errors).Value;
        Assert.Equal(field, Assert.Single(errors).Key);
        Assert.NotEmpty(Assert.Single(message));
    }

    [Fact]
    public void Every_bad_field_is_reported_at_once()
    {
        Validator().Validate(new CreateGenerationRequest { NumImages = 9, Sampler = "x", Resolution = 3 }, out var errors);
        Assert.Equal(["numImages", "prompt", "resolution", "sampler"], errors.Keys.Order());
    }

    [Fact]
    public void A_service_without_models_says_so()
    {
        using var empty = new TempFolder();
        var validator = new GenerationRequestValidator(new ModelCatalog([empty.Path], null, NullLogger<ModelCatalog>.Instance), Options.Create(new WebhooksOptions()));
        validator.Validate(new CreateGenerationRequest { Prompt = "a" }, out var errors);
        Assert.Contains("No model is configured", Assert.Single(errors["model"]));
    }
}
