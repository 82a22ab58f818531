using TextToImage.Diffusion.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Tests.Networks;

/// <summary>
/// The network's convolutions are exact where libtorch 2.10's default NCHW oneDNN path is not
/// on this project's AVX-512 CPU hosts (channel counts off its SIMD block; measured errors of
/// 20 on outputs of 50). Small integers make every dtype exact, so any error is a wrong kernel.
/// </summary>
public sealed class ChannelsLastConv2dTests
{
    [Theory]
    [InlineData(24, 16, 3, 1)]
    [InlineData(20, 8, 3, 1)]
    [InlineData(3, 8, 3, 1)]
    [InlineData(6, 8, 3, 1)]
    [InlineData(40, 16, 3, 2)]
    [InlineData(13, 7, 1, 1)]
    public void Forward_and_gradients_match_float64(int cin, int cout, int kernel, int stride)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(7);
        var conv = new ChannelsLastConv2d(cin, cout, kernel, stride, kernel / 2, device: null);
        var bias = conv.named_parameters().Single(p => p.name == "bias").parameter;
        using (no_grad())
        {
            conv.Weight.copy_(randint(-2, 3, [cout, cin, kernel, kernel], generator: g));
            bias.copy_(randint(-2, 3, [cout], generator: g));
        }
        var x = randint(-2, 3, [2, cin, 8, 8], generator: g).to(ScalarType.Float32);
        var x64 = x.to(ScalarType.Float64).requires_grad_();
        var w64 = conv.Weight.detach().to(ScalarType.Float64).requires_grad_();
        var expected = nn.functional.conv2d(x64, w64, bias.detach().to(ScalarType.Float64),
            strides: [stride, stride], padding: [kernel / 2, kernel / 2]);

        var input = x.clone().requires_grad_();
        var output = conv.call(input);
        Assert.Equal(0.0, MaxError(output, expected));

        // Gradients of sum(y * r) with respect to the input and the weight.
        var r = randint(-2, 3, output.shape, generator: g).to(ScalarType.Float32);
        (output * r).sum().backward();
        (expected * r.to(ScalarType.Float64)).sum().backward();
        Assert.Equal(0.0, MaxError(input.grad!, x64.grad!));
        Assert.Equal(0.0, MaxError(conv.Weight.grad!, w64.grad!));

        conv.to(ScalarType.BFloat16);
        using (no_grad()) Assert.Equal(0.0, MaxError(conv.call(x.to(ScalarType.BFloat16)), expected));
    }

    static double MaxError(Tensor actual, Tensor expected) =>
        (actual.to(ScalarType.Float64) - expected.detach()).abs().max().item<double>();
}
