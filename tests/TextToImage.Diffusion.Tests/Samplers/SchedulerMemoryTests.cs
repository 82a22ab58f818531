using TextToImage.Diffusion.Samplers;
using TorchSharp;
using static TextToImage.Diffusion.Tests.Samplers.DiffusersFixtures;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Tests.Samplers;

/// <summary>
/// Live-tensor accounting with TorchSharp's per-thread <see cref="DisposeScopeManager.Statistics"/>
/// (created minus disposed tensors on this thread, so other tests running in parallel do not count).
/// </summary>
public sealed class SchedulerMemoryTests
{
    static long Live => DisposeScopeManager.Statistics.ThreadTotalLiveCount;

    [Theory]
    [InlineData(SamplerKind.DpmSolverPlusPlus2M, 1)] // the previous step's x₀
    [InlineData(SamplerKind.Ddim, 0)]
    [InlineData(SamplerKind.Ddpm, 0)]
    public void A_50_step_loop_in_per_step_scopes_leaves_no_extra_live_tensors(SamplerKind kind, int retainedBetweenSteps)
    {
        var before = Live;
        var scheduler = SchedulerFactory.Create(kind, DdpmConfig);
        scheduler.SetTimesteps(50);
        using var noise = Seeded(0);
        Tensor sample;
        using (NewDisposeScope()) sample = SampleDeter().MoveToOuterDisposeScope();
        var baseline = Live;

        var extraPerStep = new List<long>();
        foreach (var t in scheduler.Timesteps)
        {
            using (NewDisposeScope())
            {
                var output = scheduler.Step(Model(sample, t), t, sample, noise);
                var next = output.PrevSample.MoveToOuterDisposeScope();
                sample.Dispose();
                sample = next;
            }
            extraPerStep.Add(Live - baseline);
        }

        Assert.Equal(50, extraPerStep.Count);
        Assert.All(extraPerStep, extra => Assert.Equal(retainedBetweenSteps, extra));
        scheduler.Dispose();
        Assert.Equal(baseline, Live);
        sample.Dispose();
        Assert.Equal(before, Live);
    }

    [Fact]
    public void Step_results_belong_to_the_callers_scope_and_state_survives_it()
    {
        using var scheduler = new DpmSolverMultistepScheduler(DpmConfig);
        scheduler.SetTimesteps(10);
        using var outer = NewDisposeScope();
        var sample = SampleDeter();
        for (var i = 0; i < 3; i++)
        {
            var t = scheduler.Timesteps[i];
            using var step = NewDisposeScope();
            var output = scheduler.Step(Model(sample, t), t, sample);
            Assert.True(step.Contains(output.PrevSample));
            Assert.True(step.Contains(output.PredOriginalSample));
            sample = output.PrevSample.MoveToOuterDisposeScope();
        }
        // The x₀ kept for the second-order term outlived three step scopes; one more step uses it.
        var last = scheduler.Step(Model(sample, scheduler.Timesteps[3]), scheduler.Timesteps[3], sample).PrevSample;
        Assert.False(last.isnan().any().item<bool>());
    }

    [Fact]
    public void A_sample_prediction_returns_its_own_tensor_not_the_callers()
    {
        // With prediction_type sample and no clipping x₀ is the model output itself; the step must
        // still hand back a tensor of its own, or moving it would strip the caller's input from its scope.
        using var scheduler = new DdimScheduler(DdpmConfig with { PredictionType = "sample", ClipSample = false });
        scheduler.SetTimesteps(10);
        using var outer = NewDisposeScope();
        var sample = SampleDeter();
        var modelOutput = NoiseDeter();
        using (var step = NewDisposeScope())
        {
            var output = scheduler.Step(modelOutput, 500, sample);
            Assert.NotSame(modelOutput, output.PredOriginalSample);
            Assert.True(step.Contains(output.PredOriginalSample));
        }
        Assert.True(outer.Contains(modelOutput));
        Assert.False(modelOutput.IsInvalid);
    }
}
