using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TextToImage.Diffusion.Networks;

/// <summary>How a residual block changes the resolution on its way (IF resamples inside resnets).</summary>
public enum Resample { None, Down, Up }

/// <summary>
/// diffusers' <c>ResnetBlock2D</c>: norm, act, conv, add (or scale-shift) the time embedding,
/// norm, act, dropout, conv, plus a 1x1 shortcut where the width changes.
/// With <see cref="Resample.Down"/>/<see cref="Resample.Up"/> both paths are average-pooled /
/// nearest-upsampled after the first activation (BigGAN-style resampling, IF's resblock_updown).
/// </summary>
public sealed class ResnetBlock2D : nn.Module<Tensor, Tensor, Tensor>
{
    readonly GroupNorm2d norm1;
    readonly ChannelsLastConv2d conv1;
    readonly Linear time_emb_proj;
    readonly GroupNorm2d norm2;
    readonly Dropout dropout;
    readonly ChannelsLastConv2d conv2;
    readonly ChannelsLastConv2d? conv_shortcut;
    readonly Func<Tensor, Tensor> act;
    readonly ResnetSettings settings;
    readonly Resample resample;

    public ResnetBlock2D(long inChannels, long outChannels, ResnetSettings s, Resample resample = Resample.None)
        : base(nameof(ResnetBlock2D))
    {
        settings = s;
        this.resample = resample;
        act = Layers.Activation(s.ActFn);
        norm1 = Layers.GroupNorm(s.Groups, inChannels, s.Eps);
        conv1 = Layers.Conv2d(inChannels, outChannels, 3, padding: 1);
        time_emb_proj = Layers.Linear(s.TembChannels, s.ScaleShift ? 2 * outChannels : outChannels);
        norm2 = Layers.GroupNorm(s.Groups, outChannels, s.Eps);
        dropout = Layers.Dropout(s.Dropout);
        conv2 = Layers.Conv2d(outChannels, outChannels, 3, padding: 1);
        if (inChannels != outChannels) conv_shortcut = Layers.Conv2d(inChannels, outChannels, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input, Tensor temb)
    {
        var h = act(norm1.call(input));
        var skip = Resampled(input);
        h = conv1.call(Resampled(h));

        var t = time_emb_proj.call(settings.SkipTimeAct ? temb : act(temb))[.., .., TensorIndex.None, TensorIndex.None];
        if (settings.ScaleShift)
        {
            var scaleShift = t.chunk(2, dim: 1);
            h = norm2.call(h) * (scaleShift[0] + 1) + scaleShift[1];
        }
        else
        {
            h = norm2.call(h + t);
        }

        h = conv2.call(dropout.call(act(h)));
        if (conv_shortcut is not null) skip = conv_shortcut.call(skip);
        return (skip + h) / settings.OutputScaleFactor;
    }

    Tensor Resampled(Tensor x) => resample switch
    {
        Resample.Down => F.avg_pool2d(x, [2, 2], [2, 2]),
        Resample.Up => F.interpolate(x, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest),
        _ => x,
    };
}
