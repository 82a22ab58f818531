using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Networks;

/// <summary>diffusers' <c>Timesteps</c>: the sinusoidal projection of (possibly fractional) timesteps.</summary>
public static class Timesteps
{
    /// <summary>
    /// [N] timesteps -> [N, dim] float32: sin and cos of t * exp(-ln(10000) * i / (dim/2 - freqShift));
    /// cos first when <paramref name="flipSinToCos"/>. Always float32: bf16 cannot resolve t up to 1000.
    /// </summary>
    public static Tensor Project(Tensor timesteps, int dim, bool flipSinToCos, double freqShift)
    {
        var half = dim / 2;
        var exponent = arange(half, ScalarType.Float32, timesteps.device) * (-Math.Log(10000.0) / (half - freqShift));
        var angles = timesteps.to(ScalarType.Float32)[.., TensorIndex.None] * exponent.exp()[TensorIndex.None, ..];
        var (sin, cos) = (angles.sin(), angles.cos());
        var emb = flipSinToCos ? cat([cos, sin], dim: -1) : cat([sin, cos], dim: -1);
        return dim % 2 == 1 ? nn.functional.pad(emb, [0, 1, 0, 0]) : emb;
    }
}

/// <summary>diffusers' <c>TimestepEmbedding</c>: linear_1, act, linear_2 (and an optional post activation).</summary>
public sealed class TimestepEmbedding : nn.Module<Tensor, Tensor>
{
    readonly Linear linear_1;
    readonly Linear linear_2;
    readonly Func<Tensor, Tensor> act;
    readonly Func<Tensor, Tensor>? postAct;

    public TimestepEmbedding(long inChannels, long timeEmbedDim, string actFn, string? postActFn = null)
        : base(nameof(TimestepEmbedding))
    {
        linear_1 = Layers.Linear(inChannels, timeEmbedDim);
        linear_2 = Layers.Linear(timeEmbedDim, timeEmbedDim);
        act = Layers.Activation(actFn);
        postAct = postActFn is null ? null : Layers.Activation(postActFn);
        RegisterComponents();
    }

    public override Tensor forward(Tensor sample)
    {
        var h = linear_2.call(act(linear_1.call(sample)));
        return postAct is null ? h : postAct(h);
    }
}
