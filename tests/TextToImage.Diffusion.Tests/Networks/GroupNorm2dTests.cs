using TextToImage.Diffusion.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Tests.Networks;

/// <summary>
/// GroupNorm2d normalises channels-last maps of any size as group norm over float64 does, with
/// gradients, whichever layout it computes in; and it loads nn.GroupNorm's state dict keys.
/// </summary>
public sealed class GroupNorm2dTests
{
    [Theory]
    [InlineData(64, 16, true)]    // under 1,024 pixels: computed in NCHW
    [InlineData(32, 32, true)]    // 1,024 pixels: libtorch's contiguous channels-last kernel
    [InlineData(128, 8, false)]
    public void Forward_and_gradients_match_float64(int channels, int size, bool channelsLast)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(3);
        var norm = new GroupNorm2d(32, channels, 1e-5, device: null, dtype: null);
        using (no_grad())
        {
            norm.Weight.copy_(rand([channels], generator: g) + 0.5);
            norm.Bias.copy_(randn([channels], generator: g));
        }
        var x = randn([2, channels, size, size], generator: g) * 3 + 1;
        var input = (channelsLast ? ChannelsLastConv2d.ToChannelsLast(x) : x.clone()).requires_grad_();
        var x64 = x.to(ScalarType.Float64).requires_grad_();
        var expected = nn.functional.group_norm(x64, 32, norm.Weight.detach().to(ScalarType.Float64), norm.Bias.detach().to(ScalarType.Float64), 1e-5);

        var output = norm.call(input);
        Assert.True(MaxError(output, expected) < 1e-5);

        var r = randn(output.shape, generator: g);
        (output * r).sum().backward();
        (expected * r.to(ScalarType.Float64)).sum().backward();
        Assert.True(MaxError(input.grad!, x64.grad!) < 1e-4);
    }

    [Fact]
    public void Its_parameters_are_those_of_nn_GroupNorm()
    {
        using var scope = NewDisposeScope();
        var norm = new GroupNorm2d(8, 16, 1e-6, device: null, dtype: null);
        var reference = nn.GroupNorm(8, 16, 1e-6);
        Assert.Equal(reference.state_dict().Keys.Order(), norm.state_dict().Keys.Order());
        Assert.True(norm.Weight.eq(1).all().item<bool>() && norm.Bias.eq(0).all().item<bool>());
    }

    static double MaxError(Tensor actual, Tensor expected) =>
        (actual.to(ScalarType.Float64) - expected.detach()).abs().max().item<double>();
}
