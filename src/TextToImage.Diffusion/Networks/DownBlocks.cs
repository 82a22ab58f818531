using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Networks;

/// <summary>diffusers' <c>DownBlock2D</c>: residual blocks, then a strided convolution.</summary>
public sealed class DownBlock2D : UNetDownBlock
{
    readonly ModuleList<ResnetBlock2D> resnets;
    readonly ModuleList<Downsample2D>? downsamplers;

    public DownBlock2D(BlockSpec spec, long downsamplePadding) : base(nameof(DownBlock2D))
    {
        // diffusers gives this family neither skip_time_act nor the output scale factor.
        resnets = Resnets(spec, spec.Resnet with { SkipTimeAct = false, OutputScaleFactor = 1.0 });
        if (spec.Resample) downsamplers = new(new Downsample2D(spec.OutChannels, downsamplePadding));
        RegisterComponents();
    }

    public override DownBlockOutput forward(Tensor hidden, Tensor temb, TextContext text)
    {
        var skips = new List<Tensor>();
        foreach (var resnet in resnets) skips.Add(hidden = resnet.call(hidden, temb));
        if (downsamplers is not null) skips.Add(hidden = downsamplers[0].call(hidden));
        return new(hidden, skips);
    }
}

/// <summary>diffusers' <c>ResnetDownsampleBlock2D</c>: residual blocks, then a residual block that halves.</summary>
public sealed class ResnetDownsampleBlock2D : UNetDownBlock
{
    readonly ModuleList<ResnetBlock2D> resnets;
    readonly ModuleList<ResnetBlock2D>? downsamplers;

    public ResnetDownsampleBlock2D(BlockSpec spec) : base(nameof(ResnetDownsampleBlock2D))
    {
        resnets = Resnets(spec, spec.Resnet);
        if (spec.Resample) downsamplers = new(new ResnetBlock2D(spec.OutChannels, spec.OutChannels, spec.Resnet, Resample.Down));
        RegisterComponents();
    }

    public override DownBlockOutput forward(Tensor hidden, Tensor temb, TextContext text)
    {
        var skips = new List<Tensor>();
        foreach (var resnet in resnets) skips.Add(hidden = resnet.call(hidden, temb));
        if (downsamplers is not null) skips.Add(hidden = downsamplers[0].call(hidden, temb));
        return new(hidden, skips);
    }
}

/// <summary>
/// diffusers' <c>SimpleCrossAttnDownBlock2D</c> (IF): each residual block is followed by joint
/// text/self attention; a residual block halves the resolution at the end.
/// </summary>
public sealed class SimpleCrossAttnDownBlock2D : UNetDownBlock
{
    readonly ModuleList<ResnetBlock2D> resnets;
    readonly ModuleList<AddedKVAttention> attentions;
    readonly ModuleList<ResnetBlock2D>? downsamplers;

    public SimpleCrossAttnDownBlock2D(BlockSpec spec) : base(nameof(SimpleCrossAttnDownBlock2D))
    {
        resnets = Resnets(spec, spec.Resnet);
        attentions = new([.. Enumerable.Range(0, spec.Layers).Select(_ => new AddedKVAttention(spec.OutChannels, spec.Attention))]);
        if (spec.Resample) downsamplers = new(new ResnetBlock2D(spec.OutChannels, spec.OutChannels, spec.Resnet, Resample.Down));
        RegisterComponents();
    }

    public override DownBlockOutput forward(Tensor hidden, Tensor temb, TextContext text)
    {
        var skips = new List<Tensor>();
        for (var i = 0; i < resnets.Count; i++)
            skips.Add(hidden = attentions[i].call(resnets[i].call(hidden, temb), text));
        if (downsamplers is not null) skips.Add(hidden = downsamplers[0].call(hidden, temb));
        return new(hidden, skips);
    }
}
