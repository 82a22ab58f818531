using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Networks;

/// <summary>diffusers' <c>UNetMidBlock2DSimpleCrossAttn</c> (IF): resnet, joint attention, resnet.</summary>
public sealed class UNetMidBlock2DSimpleCrossAttn : UNetMidBlock
{
    readonly ModuleList<AddedKVAttention> attentions;
    readonly ModuleList<ResnetBlock2D> resnets;

    public UNetMidBlock2DSimpleCrossAttn(long channels, ResnetSettings resnet, AttentionSettings attention)
        : base(nameof(UNetMidBlock2DSimpleCrossAttn))
    {
        attentions = new(new AddedKVAttention(channels, attention));
        resnets = new(new ResnetBlock2D(channels, channels, resnet), new ResnetBlock2D(channels, channels, resnet));
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor temb, TextContext text) =>
        resnets[1].call(attentions[0].call(resnets[0].call(hidden, temb), text), temb);
}

/// <summary>
/// diffusers' <c>UNetMidBlock2D</c> as <c>get_mid_block</c> builds it for a UNet2DConditionModel:
/// one residual block, no attention, no skip_time_act.
/// </summary>
public sealed class UNetMidBlock2D : UNetMidBlock
{
    readonly ModuleList<ResnetBlock2D> resnets;

    public UNetMidBlock2D(long channels, ResnetSettings resnet) : base(nameof(UNetMidBlock2D))
    {
        resnets = new(new ResnetBlock2D(channels, channels, resnet with { SkipTimeAct = false }));
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor temb, TextContext text) => resnets[0].call(hidden, temb);
}
