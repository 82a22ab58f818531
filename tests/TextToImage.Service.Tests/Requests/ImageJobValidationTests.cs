using Microsoft.Extensions.Options;
using TextToImage.Service.Hosting;
using TextToImage.Diffusion.Pipelines;
using TextToImage.Diffusion.Samplers;
using Microsoft.Extensions.Logging.Abstractions;
using TextToImage.Service.Jobs;
using TextToImage.Service.Models;
using TextToImage.Service.Requests;

namespace TextToImage.Service.Tests.Requests;

public sealed class ImageJobValidationTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>
{
    GenerationRequestValidator Validator() => new(new ModelCatalog([model.Folder["models"]], null, NullLogger<ModelCatalog>.Instance), Options.Create(new WebhooksOptions()));

    [Fact]
    public void An_edit_defaults_its_strength_by_whether_a_mask_came()
    {
        var plain = Validator().ValidateEdit(new CreateEditRequest(), hasMask: false, out var errors);
        Assert.Empty(errors);
        Assert.Equal((JobKinds.Edit, "", 0.8, (int?)null), (plain!.Kind, plain.Prompt, plain.Strength!.Value, plain.JumpLength));
        var masked = Validator().ValidateEdit(new CreateEditRequest { Prompt = "x", JumpLength = 2, JumpCount = 1 }, hasMask: true, out errors);
        Assert.Empty(errors);
        Assert.Equal((1.0, 2, 1), (masked!.Strength!.Value, masked.JumpLength!.Value, masked.JumpCount!.Value));
    }

    [Fact]
    public void Edit_fields_out_of_range_are_errors_by_field()
    {
        var parameters = Validator().ValidateEdit(new CreateEditRequest { Strength = 1.5, JumpLength = 99, JumpCount = -1, Resolution = 7 },
            hasMask: false, out var errors);
        Assert.Null(parameters);
        Assert.Equal(["jumpCount", "jumpLength", "mask", "resolution", "strength"], errors.Keys.Order());
    }

    [Fact]
    public void An_upscale_needs_a_super_resolution_size_and_a_noise_level_in_range()
    {
        var parameters = Validator().ValidateUpscale(new CreateUpscaleRequest { NoiseLevel = 100 }, out var errors);
        Assert.Empty(errors);
        Assert.Equal((JobKinds.Upscale, 100, 64), (parameters!.Kind, parameters.NoiseLevel!.Value, parameters.Resolution));

        Assert.Null(Validator().ValidateUpscale(new CreateUpscaleRequest { Resolution = 16, NoiseLevel = 5000 }, out errors));
        Assert.Equal(["noiseLevel", "resolution"], errors.Keys.Order());
    }

    [Fact]
    public void An_upscale_records_what_runs_its_first_super_resolution_stage_s_settings_and_noise_level()
    {
        var parameters = Validator().ValidateUpscale(new CreateUpscaleRequest(), out _)!;
        var superResolution = ModelIndex.Load(model.ModelFolder).Stages[1].Defaults;
        Assert.Equal((superResolution.Steps, superResolution.GuidanceScale, superResolution.NoiseLevel),
            (parameters.Steps, parameters.GuidanceScale, parameters.NoiseLevel));
        Assert.Equal(SchedulerFactory.SamplerName(SchedulerFactory.ParseSampler(superResolution.Sampler)), parameters.Sampler);
    }
}
