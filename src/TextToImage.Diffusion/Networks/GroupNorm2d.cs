using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TextToImage.Diffusion.Networks;

/// <summary>
/// nn.GroupNorm with its parameters (keys <c>weight</c>, <c>bias</c>; starting at 1 and 0, which TorchSharp 0.107's
/// GroupNorm leaves uninitialised) that normalises channels-last feature maps in the NCHW layout where libtorch's
/// channels-last kernels are slow. <see cref="ChannelsLastConv2d"/> leaves feature maps channels-last, and libtorch
/// 2.10's CPU kernels for them (measured, one thread, against NCHW plus the copy into it):
/// - forward, fewer than 1,024 pixels: each group's channels are walked with a stride of C, one value at a time:
///   2x64x16x16 took 572 us instead of 12 + 21 us. From 1,024 pixels on a contiguous kernel is as fast as NCHW;
/// - backward, every size: 32x32x32x32 took 40.8 ms forward and backward instead of 6.1 ms (13 % of a training step
///   of the bundled base stage); 4x32x128x128 85 ms instead of 14 ms.
/// </summary>
public sealed class GroupNorm2d : nn.Module<Tensor, Tensor>
{
    /// <summary>libtorch's switch between its two channels-last group-norm kernels (feature_map_threshold).</summary>
    const long ChannelsLastFastFromPixels = 1024;

    readonly Parameter weight;
    readonly Parameter bias;

    public GroupNorm2d(long groups, long channels, double eps, Device? device, ScalarType? dtype)
        : base(nameof(GroupNorm2d))
    {
        Groups = groups;
        Eps = eps;
        weight = Layers.Owned(new Parameter(ones([channels], dtype, device)));
        bias = Layers.Owned(new Parameter(zeros([channels], dtype, device)));
        RegisterComponents();
    }

    public long Groups { get; }
    public double Eps { get; }
    public Parameter Weight => weight;
    public Parameter Bias => bias;

    public override Tensor forward(Tensor x) => F.group_norm(InFastLayout(x), Groups, weight, bias, Eps);

    static Tensor InFastLayout(Tensor x)
    {
        if (x.dim() != 4 || x.is_contiguous()) return x;
        var pixels = x.shape[2] * x.shape[3];
        return x.requires_grad || pixels < ChannelsLastFastFromPixels ? x.contiguous() : x;
    }
}
