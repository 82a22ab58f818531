using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Pipelines;
using TorchSharp;

namespace TextToImage.Diffusion.Tests.Pipelines;

public sealed class CascadePipelineTests(TinyCascade tiny, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<TinyCascade>
{
    // Measured: at most 2 levels apart, 0.003 % of the values differ (16 images, 4 jobs of 4).
    const float BatchedLevelTolerance = 4;
    [Fact]
    public void Each_stage_outputs_its_resolution()
    {
        var stages = new List<StageResult>();
        using var result = tiny.Pipeline.Generate(TinyCascade.Request(numImages: 2), stageCompleted: stages.Add);

        Assert.Equal([16, 32, 64], result.Stages.Select(s => s.Resolution));
        Assert.Equal(result.Stages, stages);
        foreach (var stage in result.Stages)
        {
            Assert.Equal([2, 3, stage.Resolution, stage.Resolution], stage.Images.shape);
            Assert.True(stage.Images.isfinite().all().item<bool>());
        }
    }

    [Fact]
    public void Super_resolution_depends_on_the_low_resolution_image_and_the_noise_level()
    {
        // DDIM with eta 0 draws no noise per step, so a different base step count changes the base
        // image without shifting any later random draw: only the low-resolution input differs.
        StageOptions Base(int steps) => new() { Sampler = "ddim", Steps = steps, GuidanceScale = 3 };
        var request = TinyCascade.Request(resolution: 32) with { Stages = [Base(4), new StageOptions { Steps = 2, NoiseLevel = 100 }] };
        using var reference = tiny.Pipeline.Generate(request);
        using var otherBase = tiny.Pipeline.Generate(request with { Stages = [Base(5), request.Stages![1]] });
        using var otherLevel = tiny.Pipeline.Generate(request with { Stages = [Base(4), new StageOptions { Steps = 2, NoiseLevel = 900 }] });

        Assert.False(reference.Stages[0].Images.allclose(otherBase.Stages[0].Images));
        Assert.False(reference.Final.Images.allclose(otherBase.Final.Images));
        Assert.True(TensorAssert.Equal(reference.Stages[0].Images, otherLevel.Stages[0].Images));
        Assert.False(reference.Final.Images.allclose(otherLevel.Final.Images));
    }

    [Fact]
    public void Per_image_sampling_gives_image_i_of_a_batch_the_bytes_of_a_single_image_with_seed_plus_i()
    {
        var request = TinyCascade.Request(numImages: 3, seed: 100) with { Sampling = SamplingMode.PerImage };
        using var batch = tiny.Pipeline.Generate(request);
        var batchPngs = GeneratedImages.Encode(batch.Final, request, tiny.Model);
        for (var i = 0; i < 3; i++)
        {
            var single = TinyCascade.Request(numImages: 1, seed: 100 + i) with { Sampling = SamplingMode.PerImage };
            using var alone = tiny.Pipeline.Generate(single);
            var png = GeneratedImages.Encode(alone.Final, single, tiny.Model)[0];
            Assert.Equal(png, batchPngs[i]);
        }
        Assert.NotEqual(batchPngs[0], batchPngs[1]);
    }

    /// <summary>
    /// Batched sampling runs a job's images through one forward: image i keeps its noise, and its pixels may move by
    /// rounding only. Measured over 16 images (4 jobs of 4) of the whole tiny cascade (16 -> 32 -> 64 px), in 8-bit levels.
    /// </summary>
    [Fact]
    public void Batched_sampling_gives_image_i_the_picture_of_a_single_image_up_to_rounding()
    {
        var differences = new List<float>();
        long changed = 0, pixels = 0;
        for (var job = 0; job < 4; job++)
        {
            var seed = 300 + 10 * job;
            var request = TinyCascade.Request(numImages: 4, seed: seed);
            Assert.Equal(SamplingMode.Batched, request.Sampling);   // the default
            using var batch = tiny.Pipeline.Generate(request);
            for (var i = 0; i < 4; i++)
            {
                using var alone = tiny.Pipeline.Generate(TinyCascade.Request(numImages: 1, seed: seed + i));
                using var levels = (Levels(batch.Final.Images[i..(i + 1)]) - Levels(alone.Final.Images)).abs();
                differences.Add(levels.max().item<float>());
                changed += levels.gt(0).sum().item<long>();
                pixels += levels.numel();
            }
        }
        output.WriteLine($"batched vs per-image, 16 images: max {differences.Max()} levels, {100.0 * changed / pixels:F3} % of values differ");
        Assert.True(differences.Max() <= BatchedLevelTolerance, $"up to {differences.Max()} levels apart: {string.Join(", ", differences)}");
    }

    static TorchSharp.torch.Tensor Levels(TorchSharp.torch.Tensor images) => images.add(1).mul(127.5).round().clamp(0, 255);

    [Fact]
    public void Same_seed_same_pixels_for_every_sampler()
    {
        foreach (var sampler in new[] { "ddpm", "ddim", "dpmpp-2m" })
        {
            using var first = tiny.Pipeline.Generate(TinyCascade.Request(sampler: sampler, resolution: 16));
            using var second = tiny.Pipeline.Generate(TinyCascade.Request(sampler: sampler, resolution: 16));
            Assert.True(TensorAssert.Equal(first.Final.Images, second.Final.Images), sampler);
        }
    }

    [Fact]
    public void Resolution_stops_the_cascade_early_and_unknown_ones_are_refused()
    {
        using var result = tiny.Pipeline.Generate(TinyCascade.Request(resolution: 32));
        Assert.Equal([16, 32], result.Stages.Select(s => s.Resolution));

        var error = Assert.Throws<InvalidGenerationRequestException>(() => tiny.Pipeline.Generate(TinyCascade.Request(resolution: 48)));
        Assert.Contains("16, 32, 64", error.Message);
    }

    [Fact]
    public void Progress_reports_every_step_of_every_stage_in_order()
    {
        var events = new List<GenerationProgress>();
        using var result = tiny.Pipeline.Generate(TinyCascade.Request(), events.Add);

        var expected = new[] { ("base", 4), ("sr_32", 3), ("sr_64", 2) }
            .SelectMany((stage, index) => Enumerable.Range(1, stage.Item2)
                .Select(step => new GenerationProgress(index, stage.Item1, 3, step, stage.Item2)));
        Assert.Equal(expected, events);
    }

    [Fact]
    public void Cancelling_stops_within_one_step()
    {
        using var cancel = new CancellationTokenSource();
        var events = new List<GenerationProgress>();
        Assert.ThrowsAny<OperationCanceledException>(() => tiny.Pipeline.Generate(TinyCascade.Request(), progress =>
        {
            events.Add(progress);
            if (progress is { StageIndex: 1, Step: 2 }) cancel.Cancel();
        }, cancellation: cancel.Token));

        Assert.Equal(new GenerationProgress(1, "sr_32", 3, 2, 3), events[^1]);
    }

    [Fact]
    public void Prompt_and_negative_prompt_both_steer_the_result()
    {
        var plain = TinyCascade.Request(resolution: 16);
        using var a = tiny.Pipeline.Generate(plain);
        using var b = tiny.Pipeline.Generate(plain with { Prompt = "a blue car" });
        using var c = tiny.Pipeline.Generate(plain with { NegativePrompt = "blurry" });

        Assert.False(a.Final.Images.allclose(b.Final.Images));
        Assert.False(a.Final.Images.allclose(c.Final.Images));
    }

    [Fact]
    public void Invalid_settings_are_refused_with_the_stage_named()
    {
        var request = TinyCascade.Request() with { Stages = [new StageOptions { Steps = 0 }] };
        Assert.Contains("'base'", Assert.Throws<InvalidGenerationRequestException>(() => tiny.Pipeline.Generate(request)).Message);

        var sampler = TinyCascade.Request() with { Stages = [null, new StageOptions { Sampler = "euler" }] };
        Assert.Contains("unknown sampler 'euler'", Assert.Throws<InvalidGenerationRequestException>(() => tiny.Pipeline.Generate(sampler)).Message);

        var noise = TinyCascade.Request() with { Stages = [null, new StageOptions { NoiseLevel = 1000 }] };
        Assert.Contains("noise level", Assert.Throws<InvalidGenerationRequestException>(() => tiny.Pipeline.Generate(noise)).Message);

        Assert.Throws<InvalidGenerationRequestException>(() => tiny.Pipeline.Generate(TinyCascade.Request(numImages: 0)));
    }

    [Fact]
    public void Repeated_generations_leave_no_tensor_alive()
    {
        // Warm up once: lazily created state (generators, schedules) is not a leak.
        tiny.Pipeline.Generate(TinyCascade.Request(numImages: 2)).Dispose();
        var live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var rssBefore = ResidentBytes();

        for (var i = 0; i < 8; i++)
        {
            tiny.Pipeline.Generate(TinyCascade.Request(numImages: 2, seed: i)).Dispose();
            Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        }

        // Native memory: the allocator may keep some pages, but activations kept alive per run
        // (~10 MB each) would add up to more than this over 8 runs.
        var growth = ResidentBytes() - rssBefore;
        Assert.True(growth < 48L << 20, $"resident memory grew by {growth >> 20} MiB over 8 runs");
    }

    static long ResidentBytes() =>
        long.Parse(File.ReadAllText("/proc/self/statm").Split(' ')[1]) * Environment.SystemPageSize;
}
