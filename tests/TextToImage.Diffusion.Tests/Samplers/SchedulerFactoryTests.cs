using TextToImage.Diffusion.Samplers;
using static TextToImage.Diffusion.Tests.Samplers.DiffusersFixtures;

namespace TextToImage.Diffusion.Tests.Samplers;

public sealed class SchedulerFactoryTests
{
    [Theory]
    [InlineData("ddpm", SamplerKind.Ddpm)]
    [InlineData("ddim", SamplerKind.Ddim)]
    [InlineData("dpmpp-2m", SamplerKind.DpmSolverPlusPlus2M)]
    [InlineData(" DPMPP-2M ", SamplerKind.DpmSolverPlusPlus2M)]
    public void Api_names_parse_and_print(string name, SamplerKind kind)
    {
        Assert.Equal(kind, SchedulerFactory.ParseSampler(name));
        Assert.Equal(name.Trim().ToLowerInvariant(), SchedulerFactory.SamplerName(kind));
    }

    [Fact]
    public void An_unknown_name_lists_the_valid_ones()
    {
        var error = Assert.Throws<ArgumentException>(() => SchedulerFactory.ParseSampler("euler-a"));
        Assert.Contains("'euler-a'", error.Message);
        Assert.Contains("ddpm, ddim, dpmpp-2m", error.Message);
    }

    [Fact]
    public void Each_kind_builds_its_scheduler_from_one_config()
    {
        var config = DdpmConfig with { SolverOrder = 3, AlgorithmType = "sde-dpmsolver++" };
        using var ddpm = SchedulerFactory.Create(SamplerKind.Ddpm, config);
        using var ddim = SchedulerFactory.Create("ddim", config, eta: 0.5);
        using var dpm = SchedulerFactory.Create(SamplerKind.DpmSolverPlusPlus2M, config);
        Assert.IsType<DdpmScheduler>(ddpm);
        Assert.Equal(0.5, Assert.IsType<DdimScheduler>(ddim).Eta);
        Assert.IsType<DpmSolverMultistepScheduler>(dpm);
        // "2M" means dpmsolver++ of order 2, whatever the config said.
        Assert.Equal(2, dpm.Config.SolverOrder);
        Assert.Equal("dpmsolver++", dpm.Config.AlgorithmType);
    }

    [Fact]
    public void Shared_keys_mean_the_same_for_every_sampler()
    {
        // Unset keys with class-specific defaults take each class's own (diffusers' from_config behaviour) ...
        using var ddim = SchedulerFactory.Create(SamplerKind.Ddim, DdpmConfig with { ClipSample = null });
        using var dpm = SchedulerFactory.Create(SamplerKind.DpmSolverPlusPlus2M, DdpmConfig with { ClipSample = null });
        ddim.SetTimesteps(10);
        dpm.SetTimesteps(10);
        Assert.Equal(900, ddim.Timesteps[0]); // leading
        Assert.Equal(999, dpm.Timesteps[0]);  // linspace

        // ... and set keys apply to all: the same spacing gives the same grid.
        using var ddimTrailing = SchedulerFactory.Create(SamplerKind.Ddim, DdpmConfig with { TimestepSpacing = "trailing" });
        using var dpmTrailing = SchedulerFactory.Create(SamplerKind.DpmSolverPlusPlus2M, DdpmConfig with { TimestepSpacing = "trailing" });
        ddimTrailing.SetTimesteps(10);
        dpmTrailing.SetTimesteps(10);
        Assert.Equal(ddimTrailing.Timesteps, dpmTrailing.Timesteps);
    }
}
