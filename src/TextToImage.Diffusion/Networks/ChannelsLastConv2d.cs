using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TextToImage.Diffusion.Networks;

/// <summary>
/// A 2-D convolution with nn.Conv2d's parameters (keys <c>weight</c>, <c>bias</c>; same
/// initialisation) that feeds its input in channels-last layout.
/// Why: on the CPU hosts of this project (AMD EPYC with AVX-512), libtorch 2.10's oneDNN
/// returns wrong numbers for NCHW convolutions whose channel counts are not multiples of its
/// SIMD block, e.g. float32 24 -> 16 channels or bfloat16 3 -> 8 (measured against float64:
/// errors of 20 on outputs of 50, NaN in places), while the channels-last path is exact.
/// Channels-last is cuDNN's preferred layout too. Outputs stay channels-last; every later
/// operation accepts that (use reshape, not view, on them). The weight is kept channels-last
/// as well: given a channels-last input, libtorch copies an NCHW weight into that layout on
/// every call (the base network's 18 MB of weights each forward: 12 % of its time at 8 px).
/// Loading copies into it (<c>copy_</c> keeps the layout); writing makes it contiguous.
/// </summary>
public sealed class ChannelsLastConv2d : nn.Module<Tensor, Tensor>
{
    readonly Parameter weight;
    readonly Parameter bias;

    public ChannelsLastConv2d(long inChannels, long outChannels, long kernelSize, long stride, long padding, Device? device, ScalarType? dtype = null)
        : base(nameof(ChannelsLastConv2d))
    {
        Stride = stride;
        Padding = padding;
        // PyTorch's default: kaiming_uniform_(a = sqrt(5)) for the weight, which is U(+-1/sqrt(fan_in)), and the same bound for the bias.
        var bound = 1 / Math.Sqrt(inChannels * kernelSize * kernelSize);
        using (no_grad())
        {
            using var init = empty([outChannels, inChannels, kernelSize, kernelSize], dtype, device).uniform_(-bound, bound);
            weight = Layers.Owned(new Parameter(ToChannelsLast(init)));
            bias = Layers.Owned(new Parameter(empty([outChannels], dtype, device).uniform_(-bound, bound)));
        }
        RegisterComponents();
    }

    public long Stride { get; }
    public long Padding { get; }
    public Parameter Weight => weight;

    public override Tensor forward(Tensor x) =>
        F.conv2d(ToChannelsLast(x), weight, bias, strides: [Stride, Stride], padding: [Padding, Padding]);

    /// <summary>Same values, NHWC strides; free when x already is channels-last.</summary>
    public static Tensor ToChannelsLast(Tensor x) => x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
}
