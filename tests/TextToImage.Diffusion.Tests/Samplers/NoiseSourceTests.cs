using TextToImage.Diffusion.Samplers;
using TorchSharp;
using static TextToImage.Diffusion.Tests.Samplers.DiffusersFixtures;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Tests.Samplers;

public sealed class NoiseSourceTests
{
    static PerSampleNoise Rows(params ulong[] seeds) => new(seeds.Select(s => new Generator(s)).ToList());

    [Fact]
    public void Per_sample_noise_gives_row_i_the_same_values_whatever_the_batch_size()
    {
        using var scope = NewDisposeScope();
        using var single = Rows(42);
        using var batch = Rows(7, 42, 9);
        var one = single.RandnLike(zeros(1, 3, 8, 8));
        var three = batch.RandnLike(zeros(3, 3, 8, 8));
        Assert.Equal(0, MaxAbsDiff(one[0], three[1]));
        Assert.True(MaxAbsDiff(three[0], three[1]) > 0.1);

        // The second draw continues each row's own stream.
        var oneAgain = single.RandnLike(zeros(1, 3, 8, 8));
        var threeAgain = batch.RandnLike(zeros(3, 3, 8, 8));
        Assert.Equal(0, MaxAbsDiff(oneAgain[0], threeAgain[1]));
    }

    [Fact]
    public void Per_sample_noise_rejects_a_batch_of_another_size()
    {
        using var scope = NewDisposeScope();
        using var noise = Rows(1, 2);
        var error = Assert.Throws<ArgumentException>(() => noise.RandnLike(zeros(3, 4)));
        Assert.Contains("2 generators", error.Message);
    }

    [Fact]
    public void Per_sample_noise_makes_a_ddpm_image_independent_of_its_batch()
    {
        using var scope = NewDisposeScope();
        using var scheduler = new DdpmScheduler(DdpmConfig);
        scheduler.SetTimesteps(20);
        using var alone = Rows(5);
        using var inBatch = Rows(3, 5);
        var image = Loop(scheduler, SampleDeter().narrow(0, 1, 1), alone);
        var batch = Loop(scheduler, SampleDeter().narrow(0, 0, 2), inBatch);
        Assert.True(MaxAbsDiff(image[0], batch[1]) < 1e-6);
    }

    [Fact]
    public void Generator_noise_is_one_full_draw_like_diffusers()
    {
        using var scope = NewDisposeScope();
        using var noise = Seeded(0);
        var drawn = noise.RandnLike(zeros(2, 5));
        using var reference = new Generator(0);
        Assert.Equal(0, MaxAbsDiff(randn([2, 5], generator: reference), drawn));
        // torch.manual_seed(0); torch.randn(5) in PyTorch starts 1.5410, -0.2934, -2.1788.
        Assert.Equal(1.5410, drawn[0, 0].item<float>(), 1e-4);
        Assert.Equal(-0.2934, drawn[0, 1].item<float>(), 1e-4);
    }

    [Fact]
    public void Noise_is_drawn_in_float32_and_cast_to_the_sample_dtype()
    {
        using var scope = NewDisposeScope();
        using var halfNoise = Seeded(1);
        using var floatNoise = Seeded(1);
        var half = halfNoise.RandnLike(zeros([4, 4], ScalarType.Float16));
        var single = floatNoise.RandnLike(zeros(4, 4));
        Assert.Equal(ScalarType.Float16, half.dtype);
        Assert.Equal(0, MaxAbsDiff(single.to_type(ScalarType.Float16), half));
    }
}

/// <summary>Seeds and draws from the process-wide generator (the assembly runs its tests one at a time).</summary>
public sealed class GlobalGeneratorTests
{
    [Fact]
    public void Without_a_noise_source_ddpm_draws_from_the_global_generator()
    {
        using var scope = NewDisposeScope();
        using var scheduler = new DdpmScheduler(DdpmConfig);
        scheduler.SetTimesteps(10);
        var sample = SampleDeter();
        var output = NoiseDeter();

        torch.manual_seed(123);
        var global = scheduler.Step(output, 500, sample).PrevSample;
        using var seeded = Seeded(123);
        var explicitNoise = scheduler.Step(output, 500, sample, seeded).PrevSample;
        Assert.Equal(0, MaxAbsDiff(global, explicitNoise));
    }
}
