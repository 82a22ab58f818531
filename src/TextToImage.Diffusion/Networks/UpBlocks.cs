using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Networks;

/// <summary>diffusers' <c>UpBlock2D</c>: residual blocks over (hidden ++ skip), then nearest x2 and a convolution.</summary>
public sealed class UpBlock2D : UNetUpBlock
{
    readonly ModuleList<ResnetBlock2D> resnets;
    readonly ModuleList<Upsample2D>? upsamplers;

    public UpBlock2D(BlockSpec spec) : base(nameof(UpBlock2D))
    {
        // As DownBlock2D: no skip_time_act, no output scale factor in diffusers.
        resnets = Resnets(spec, spec.Resnet with { SkipTimeAct = false, OutputScaleFactor = 1.0 });
        if (spec.Resample) upsamplers = new(new Upsample2D(spec.OutChannels));
        RegisterComponents();
    }

    public override int SkipCount => resnets.Count;

    public override Tensor forward(Tensor hidden, IReadOnlyList<Tensor> skips, Tensor temb, TextContext text)
    {
        for (var i = 0; i < resnets.Count; i++) hidden = resnets[i].call(WithSkip(hidden, skips, i), temb);
        return upsamplers is null ? hidden : upsamplers[0].call(hidden);
    }
}

/// <summary>diffusers' <c>ResnetUpsampleBlock2D</c>: residual blocks over (hidden ++ skip), then a residual block that doubles.</summary>
public sealed class ResnetUpsampleBlock2D : UNetUpBlock
{
    readonly ModuleList<ResnetBlock2D> resnets;
    readonly ModuleList<ResnetBlock2D>? upsamplers;

    public ResnetUpsampleBlock2D(BlockSpec spec) : base(nameof(ResnetUpsampleBlock2D))
    {
        resnets = Resnets(spec, spec.Resnet);
        if (spec.Resample) upsamplers = new(new ResnetBlock2D(spec.OutChannels, spec.OutChannels, spec.Resnet, Resample.Up));
        RegisterComponents();
    }

    public override int SkipCount => resnets.Count;

    public override Tensor forward(Tensor hidden, IReadOnlyList<Tensor> skips, Tensor temb, TextContext text)
    {
        for (var i = 0; i < resnets.Count; i++) hidden = resnets[i].call(WithSkip(hidden, skips, i), temb);
        return upsamplers is null ? hidden : upsamplers[0].call(hidden, temb);
    }
}

/// <summary>diffusers' <c>SimpleCrossAttnUpBlock2D</c> (IF): residual block + joint attention per layer, then a residual block that doubles.</summary>
public sealed class SimpleCrossAttnUpBlock2D : UNetUpBlock
{
    readonly ModuleList<ResnetBlock2D> resnets;
    readonly ModuleList<AddedKVAttention> attentions;
    readonly ModuleList<ResnetBlock2D>? upsamplers;

    public SimpleCrossAttnUpBlock2D(BlockSpec spec) : base(nameof(SimpleCrossAttnUpBlock2D))
    {
        resnets = Resnets(spec, spec.Resnet);
        attentions = new([.. Enumerable.Range(0, spec.Layers).Select(_ => new AddedKVAttention(spec.OutChannels, spec.Attention))]);
        if (spec.Resample) upsamplers = new(new ResnetBlock2D(spec.OutChannels, spec.OutChannels, spec.Resnet, Resample.Up));
        RegisterComponents();
    }

    public override int SkipCount => resnets.Count;

    public override Tensor forward(Tensor hidden, IReadOnlyList<Tensor> skips, Tensor temb, TextContext text)
    {
        for (var i = 0; i < resnets.Count; i++)
            hidden = attentions[i].call(resnets[i].call(WithSkip(hidden, skips, i), temb), text);
        return upsamplers is null ? hidden : upsamplers[0].call(hidden, temb);
    }
}
