using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Tests.Native;

/// <summary>
/// What offloading (<see cref="ComputeTarget.OnDevice"/>) relies on in TorchSharp's <c>Module.to</c>: moving a
/// network inside an open dispose scope keeps the new weights alive past the scope and frees the old ones at once.
/// A CPU has one device, so the move here changes precision, which replaces every parameter and buffer the same way.
/// </summary>
public sealed class NetworkMoveTests
{
    [Fact]
    public void A_moved_network_keeps_its_weights_past_the_open_scope_and_frees_the_old_ones()
    {
        manual_seed(1);
        using var network = new UNet2DConditionModel(UNetPresets.Tiny(8, 32));
        network.eval();
        using var sample = randn(1, 3, 8, 8);
        using var timestep = full(1, 10L, ScalarType.Int64);
        using var text = randn(1, 4, 32);
        using var before = Output(network, sample, timestep, text);

        var live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using (NewDisposeScope())
        {
            // float32 -> float64 -> float32 is exact: the weights come back as they were.
            var weight = network.parameters().First();
            network.to(ScalarType.Float64);
            Assert.All(network.parameters(), p => Assert.Equal(ScalarType.Float64, p.dtype));
            Assert.True(weight.IsInvalid);   // the replaced weight is disposed, not left to the garbage collector
            network.to(ScalarType.Float32);
        }
        // Each weight was replaced twice and each replaced one disposed: as many tensors live as before.
        Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        using var after = Output(network, sample, timestep, text);
        TensorAssert.Same(before, after);
    }

    static Tensor Output(UNet2DConditionModel network, Tensor sample, Tensor timestep, Tensor text)
    {
        using var noGrad = no_grad();
        return network.forward(sample, timestep, text, null, null);
    }

    [Fact]
    public void Offloading_on_the_cpu_moves_nothing()
    {
        var target = ComputeTarget.Cpu with { Offload = true };
        Assert.Equal(CPU, target.Home);
        Assert.Equal("cpu/float32", target.ToString());
        using var network = nn.Linear(2, 2);
        var weight = network.weight;
        using (target.OnDevice(network)) Assert.Same(weight, network.weight);
    }
}
