using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TextToImage.Diffusion.Networks;

/// <summary>diffusers' <c>Downsample2D</c> with a convolution: a 3x3 conv of stride 2 (key <c>conv</c>).</summary>
public sealed class Downsample2D : nn.Module<Tensor, Tensor>
{
    readonly ChannelsLastConv2d conv;
    readonly long padding;

    public Downsample2D(long channels, long padding = 1) : base(nameof(Downsample2D))
    {
        this.padding = padding;
        conv = Layers.Conv2d(channels, channels, 3, stride: 2, padding: padding);
        RegisterComponents();
    }

    // With padding 0 diffusers pads right and bottom only, so odd kernels still halve exactly.
    public override Tensor forward(Tensor x) =>
        conv.call(padding == 0 ? F.pad(x, [0, 1, 0, 1]) : x);
}

/// <summary>diffusers' <c>Upsample2D</c> with a convolution: nearest x2, then a 3x3 conv (key <c>conv</c>).</summary>
public sealed class Upsample2D : nn.Module<Tensor, Tensor>
{
    readonly ChannelsLastConv2d conv;

    public Upsample2D(long channels) : base(nameof(Upsample2D))
    {
        conv = Layers.Conv2d(channels, channels, 3, padding: 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) =>
        conv.call(F.interpolate(x, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest));
}
