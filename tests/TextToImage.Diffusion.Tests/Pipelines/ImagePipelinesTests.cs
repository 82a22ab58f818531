using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Pipelines;
using Xunit.Abstractions;

namespace TextToImage.Diffusion.Tests.Pipelines;

/// <summary>
/// Image-to-image, inpainting, upscaling and unconditional generation on a real cascade. Every size
/// comes from the model, so another model folder (the bundled one) only needs another fixture.
/// </summary>
public sealed class ImagePipelinesTests(TinyCascade tiny, ITestOutputHelper output) : IClassFixture<TinyCascade>
{
    CascadeModel Model => tiny.Model;
    int Largest => Model.Resolutions[^1];

    /// <summary>A picture with structure at every scale: gradients and a checkerboard, not noise.</summary>
    static Image<Rgb24> Picture(int width, int height)
    {
        var image = new Image<Rgb24>(width, height);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                image[x, y] = new Rgb24((byte)(255 * x / width), (byte)(255 * y / height), (byte)(((x / 8 + y / 8) % 2) * 200 + 20));
        return image;
    }

    /// <summary>White (repaint) in the centre square, half the side; black elsewhere.</summary>
    static Image<L8> CentreMask(int size)
    {
        var mask = new Image<L8>(size, size);
        for (var y = size / 4; y < 3 * size / 4; y++)
            for (var x = size / 4; x < 3 * size / 4; x++)
                mask[x, y] = new L8(255);
        return mask;
    }

    EditRequest Edit(Image<Rgb24> image, double strength, Image<L8>? mask = null, long seed = 5, string prompt = "a red apple") => new()
    {
        Generation = TinyCascade.Request(prompt: prompt, seed: seed),
        Image = image,
        Mask = mask,
        Strength = strength,
    };

    static byte[] Pixels(Image<Rgb24> image)
    {
        var bytes = new byte[image.Width * image.Height * 3];
        image.CopyPixelDataTo(bytes);
        return bytes;
    }

    static Image<Rgb24> FinalImage(GenerationResult result) => ImageTensors.ToImages(result.Final.Images)[0];

    [Fact]
    public void Strength_0_returns_the_input_exactly()
    {
        using var input = Picture(Largest, Largest);
        using var result = new ImageEditPipeline(Model).Edit(Edit(input, strength: 0));
        using var final = FinalImage(result);
        Assert.Equal(Pixels(input), Pixels(final));
        Assert.Equal(Model.Resolutions, result.Stages.Select(s => s.Resolution));
    }

    [Fact]
    public void Strength_1_without_a_mask_ignores_the_input_it_is_text_to_image()
    {
        using var input = Picture(Largest, Largest);
        using var edited = new ImageEditPipeline(Model).Edit(Edit(input, strength: 1, seed: 9));
        using var generated = tiny.Pipeline.Generate(TinyCascade.Request(seed: 9));
        Assert.True(TensorAssert.Equal(generated.Final.Images, edited.Final.Images));
    }

    [Fact]
    public void Intermediate_strength_runs_that_share_of_each_stages_steps_and_moves_away_from_the_input()
    {
        using var input = Picture(Largest, Largest);
        var events = new List<GenerationProgress>();
        using var half = new ImageEditPipeline(Model).Edit(Edit(input, strength: 0.5), events.Add);

        // TinyCascade.Request runs 4, 3 and 2 steps: int(N * 0.5) of them remain.
        var expected = new[] { 2, 1, 1 }.Take(Model.Stages.Count).ToArray();
        Assert.Equal(expected, events.GroupBy(e => e.StageIndex).Select(g => g.Count()));
        Assert.All(events.GroupBy(e => e.StageIndex), g => Assert.All(g, e => Assert.Equal(g.Count(), e.TotalSteps)));

        using var inputTensor = ImageTensors.FromImage(input);
        Assert.False(half.Final.Images.allclose(inputTensor, atol: 0.05));
        using var again = new ImageEditPipeline(Model).Edit(Edit(input, strength: 0.5));
        Assert.True(TensorAssert.Equal(half.Final.Images, again.Final.Images));
        using var otherSeed = new ImageEditPipeline(Model).Edit(Edit(input, strength: 0.5, seed: 6));
        Assert.False(TensorAssert.Equal(half.Final.Images, otherSeed.Final.Images));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(2, 1)]
    public void Inpainting_keeps_the_unmasked_pixels_and_repaints_the_masked_ones(int jumpLength, int jumpCount)
    {
        // The picture and mask at another size than any stage: each stage resizes them.
        using var input = Picture(100, 100);
        using var mask = CentreMask(100);
        var request = Edit(input, strength: 1, mask) with { JumpLength = jumpLength, JumpCount = jumpCount };
        var events = new List<GenerationProgress>();
        using var result = new ImageEditPipeline(Model).Edit(request, events.Add);

        foreach (var stage in result.Stages)
        {
            using var expected = StageImages.Resize(input, stage.Resolution);
            using var stageMask = StageImages.ResizeMask(mask, stage.Resolution);
            using var keep = ImageTensors.MaskFromImage(stageMask).eq(0).expand(1, 3, -1, -1);
            using var actualImage = ImageTensors.ToImages(stage.Images)[0];
            using var actual = ImageTensors.FromImage(actualImage);
            using var expectedTensor = ImageTensors.FromImage(expected);
            using var difference = (actual - expectedTensor).abs().mul(127.5);
            var keptDifference = difference.masked_select(keep).max().item<float>();
            var repaintedDifference = difference.masked_select(keep.logical_not()).mean().item<float>();
            output.WriteLine($"{stage.StageName} ({stage.Resolution} px), jumps {jumpLength}x{jumpCount}: " +
                $"max |diff| outside the mask {keptDifference} levels, mean |diff| inside {repaintedDifference:F1} levels");
            Assert.True(keptDifference <= 0.5f, $"{stage.StageName}: unmasked pixels changed by up to {keptDifference} levels");
            Assert.True(repaintedDifference > 5, $"{stage.StageName}: the masked region was not repainted");
        }
        if (jumpCount > 0)
        {
            // RePaint resamples the base stage: 4 steps plus 2 rungs again at each of 2 jump points (rungs 2 and 4).
            Assert.Equal(4 + 2 * 2, events.Count(e => e.StageIndex == 0));
        }
    }

    [Fact]
    public void A_mask_of_another_size_than_the_image_is_refused()
    {
        using var input = Picture(32, 32);
        using var mask = CentreMask(16);
        var error = Assert.Throws<InvalidGenerationRequestException>(() => new ImageEditPipeline(Model).Edit(Edit(input, 0.5, mask)));
        Assert.Contains("16x16", error.Message);
    }

    [Fact]
    public void Upscale_outputs_each_super_resolution_size_deterministically_by_seed()
    {
        using var input = Picture(20, 12);
        UpscaleRequest Request(long seed, int? noiseLevel = null, int? resolution = null) => new()
        {
            Generation = TinyCascade.Request(prompt: "", seed: seed, resolution: resolution),
            Image = input,
            NoiseLevel = noiseLevel,
        };
        var pipeline = new UpscalePipeline(Model);
        using var result = pipeline.Upscale(Request(3));
        Assert.Equal(Model.Resolutions.Skip(1), result.Stages.Select(s => s.Resolution));
        Assert.Equal(new long[] { 1, 3, Largest, Largest }, result.Final.Images.shape);

        using var first = pipeline.Upscale(Request(3, resolution: Model.Resolutions[1]));
        Assert.Equal(new long[] { 1, 3, Model.Resolutions[1], Model.Resolutions[1] }, first.Final.Images.shape);

        using var same = pipeline.Upscale(Request(3));
        using var otherSeed = pipeline.Upscale(Request(4));
        using var otherLevel = pipeline.Upscale(Request(3, noiseLevel: 900));
        Assert.True(TensorAssert.Equal(result.Final.Images, same.Final.Images));
        Assert.False(TensorAssert.Equal(result.Final.Images, otherSeed.Final.Images));
        Assert.False(TensorAssert.Equal(result.Final.Images, otherLevel.Final.Images));

        Assert.Throws<InvalidGenerationRequestException>(() => pipeline.Upscale(Request(3, resolution: Model.Resolutions[0])));
    }

    [Fact]
    public void An_empty_prompt_samples_unconditionally_whatever_the_guidance_scale()
    {
        GenerationRequest Unconditional(double guidance) => TinyCascade.Request(prompt: "", seed: 12, resolution: Model.Resolutions[0]) with
        {
            Stages = [new StageOptions { Steps = 4, GuidanceScale = guidance }],
        };
        using var guided = tiny.Pipeline.Generate(Unconditional(7));
        using var unguided = tiny.Pipeline.Generate(Unconditional(1));
        using var prompted = tiny.Pipeline.Generate(Unconditional(1) with { Prompt = "a red apple" });

        // The prompt row and the unconditional row are both the encoding of "": guidance is the identity.
        Assert.True(TensorAssert.Equal(guided.Final.Images, unguided.Final.Images));
        Assert.False(TensorAssert.Equal(unguided.Final.Images, prompted.Final.Images));
        Assert.True(guided.Final.Images.isfinite().all().item<bool>());
    }

    [Fact]
    public void The_repaint_walk_goes_back_at_every_jump_point()
    {
        // Rungs 0..4 (4 steps), jumps of 2 rungs once: back at rung 2 and at rung 4 (x0).
        Assert.Equal([0, 1, 2, 1, 0, 1, 2, 3, 4, 3, 2, 3, 4], RepaintWalk.Rungs(0, 4, 2, 1));
        Assert.Equal(8, RepaintWalk.DenoisingSteps(RepaintWalk.Rungs(0, 4, 2, 1)));
        Assert.Equal([0, 1, 2, 3, 4], RepaintWalk.Rungs(0, 4, 0, 0));
        // Starting part-way (strength < 1): no jump above the start.
        Assert.Equal([2, 3, 4, 3, 2, 3, 4], RepaintWalk.Rungs(2, 4, 2, 1));
    }
}
