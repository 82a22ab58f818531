using TextToImage.Diffusion.Pipelines;
using TorchSharp;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Tests.Pipelines;

/// <summary>
/// Several requests through the network together (the serving batch): each keeps its prompt, seeds, guidance,
/// progress and cancellation, and gets the picture it would get alone up to batch rounding.
/// </summary>
public sealed class CascadeBatchTests(TinyCascade tiny, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<TinyCascade>
{
    // As CascadePipelineTests' batched tolerance: kernels block differently by batch size, so pixels may move by rounding.
    const float LevelTolerance = 4;

    static GenerationRequest Request(string prompt, int images, long seed, double baseGuidance, string sampler = "dpmpp-2m")
    {
        var request = TinyCascade.Request(prompt, images, seed, sampler: sampler);
        return request with { Stages = [request.Stages![0]! with { GuidanceScale = baseGuidance }, .. request.Stages.Skip(1)] };
    }

    [Fact]
    public void Each_request_of_a_batch_gets_its_own_picture_as_alone_up_to_rounding()
    {
        GenerationRequest[] requests = [Request("a red apple", 1, 5, 3), Request("a blue car", 2, 60, 5), Request("cat face", 1, 700, 2)];
        var progress = requests.Select(_ => new List<GenerationProgress>()).ToArray();
        var stages = requests.Select(_ => new List<int>()).ToArray();
        var results = tiny.Pipeline.GenerateBatch([.. requests.Select((r, i) =>
            new BatchedGeneration(r, progress[i].Add, stage => stages[i].Add(stage.Resolution)))]);
        try
        {
            for (var i = 0; i < requests.Length; i++)
            {
                var result = Assert.IsType<GenerationResult>(results[i]);
                Assert.Equal(requests[i].NumImages, result.Final.Images.shape[0]);
                Assert.Equal([16, 32, 64], stages[i]);
                Assert.Equal(4 + 3 + 2, progress[i].Count);
                Assert.Equal(result.Stages[0].Ran[^1].Settings.GuidanceScale, requests[i].Stages![0]!.GuidanceScale);
                using var alone = tiny.Pipeline.Generate(requests[i]);
                var levels = MaxLevels(result.Final.Images, alone.Final.Images);
                output.WriteLine($"request {i}: batched with the others vs alone, max {levels} levels");
                Assert.True(levels <= LevelTolerance, $"request {i}: {levels} levels apart");
            }
            // Guidance per request: the same prompt and seed at another scale in the same batch is another picture.
            Assert.False(results[0]!.Final.Images.allclose(results[2]!.Final.Images));
        }
        finally
        {
            foreach (var result in results) result?.Dispose();
        }
    }

    [Fact]
    public void A_request_that_cancels_leaves_the_batch_and_the_others_finish_as_alone()
    {
        GenerationRequest[] requests = [Request("a red apple", 1, 5, 3), Request("a blue car", 2, 60, 5), Request("cat face", 1, 700, 2)];
        var live = 0L;
        // The second round must leave as many tensors alive as the first (which may create lazy state once).
        for (var round = 0; round < 2; round++)
        {
            using var cancel = new CancellationTokenSource();
            var cancelledProgress = new List<GenerationProgress>();
            // The middle request cancels after the base stage's second step, mid-way through DPM-Solver++(2M)'s history.
            var results = tiny.Pipeline.GenerateBatch([
                new BatchedGeneration(requests[0]),
                new BatchedGeneration(requests[1], p =>
                {
                    cancelledProgress.Add(p);
                    if (p is { StageIndex: 0, Step: 2 }) cancel.Cancel();
                }, Cancellation: cancel.Token),
                new BatchedGeneration(requests[2]),
            ]);
            try
            {
                Assert.Null(results[1]);
                Assert.Equal(new GenerationProgress(0, "base", 3, 2, 4), cancelledProgress[^1]);
                foreach (var i in new[] { 0, 2 })
                {
                    using var alone = tiny.Pipeline.Generate(requests[i]);
                    var levels = MaxLevels(results[i]!.Final.Images, alone.Final.Images);
                    output.WriteLine($"round {round}, request {i} after its neighbour left: max {levels} levels from alone");
                    Assert.True(levels <= LevelTolerance, $"request {i}: {levels} levels apart");
                }
            }
            finally
            {
                foreach (var result in results) result?.Dispose();
            }
            if (round == 0) live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            else Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        }
    }

    [Fact]
    public void When_every_request_cancels_each_ends_cancelled_and_nothing_stays_alive()
    {
        using var cancel = new CancellationTokenSource();
        tiny.Pipeline.Generate(Request("a red apple", 1, 5, 3)).Dispose();
        var live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var results = tiny.Pipeline.GenerateBatch([
            new BatchedGeneration(Request("a red apple", 1, 5, 3), p => { if (p is { StageIndex: 1, Step: 1 }) cancel.Cancel(); }, Cancellation: cancel.Token),
            new BatchedGeneration(Request("a blue car", 1, 6, 3), Cancellation: cancel.Token),
        ]);
        Assert.Equal([null, null], results);
        Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Requests_share_a_batch_only_with_the_same_stages_and_settings_but_guidance_scale()
    {
        var key = tiny.Pipeline.BatchKey(Request("a", 1, 1, 3));
        Assert.NotNull(key);
        Assert.Equal(key, tiny.Pipeline.BatchKey(Request("b", 4, 9, 7)));
        Assert.NotEqual(key, tiny.Pipeline.BatchKey(Request("a", 1, 1, 3, sampler: "ddim")));
        Assert.NotEqual(key, tiny.Pipeline.BatchKey(Request("a", 1, 1, 3) with { Resolution = 32 }));
        // Guidance 1 runs without the contrast rows: another batch shape.
        Assert.NotEqual(key, tiny.Pipeline.BatchKey(Request("a", 1, 1, 1)));
        Assert.Null(tiny.Pipeline.BatchKey(Request("a", 1, 1, 3) with { Sampling = SamplingMode.PerImage }));
        Assert.Throws<InvalidGenerationRequestException>(() => tiny.Pipeline.BatchKey(Request("a", 1, 1, 3) with { Resolution = 48 }));

        var error = Assert.Throws<ArgumentException>(() => tiny.Pipeline.GenerateBatch([
            new BatchedGeneration(Request("a", 1, 1, 3)), new BatchedGeneration(Request("a", 1, 1, 3, sampler: "ddim"))]));
        Assert.Contains("BatchKey", error.Message);
    }

    static float MaxLevels(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        return (Levels(a) - Levels(b)).abs().max().item<float>();
    }

    static Tensor Levels(Tensor images) => images.add(1).mul(127.5).round().clamp(0, 255);
}
