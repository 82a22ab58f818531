using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Networks;

/// <summary>What a down block hands on: its output and the states the up path takes as skips.</summary>
public sealed record DownBlockOutput(Tensor Hidden, IReadOnlyList<Tensor> Skips);

/// <summary>A block of the contracting path: (hidden, time embedding, text) -> output and skips.</summary>
public abstract class UNetDownBlock(string name) : nn.Module<Tensor, Tensor, TextContext, DownBlockOutput>(name)
{
    /// <summary>The residual blocks of one level; the first one changes the width.</summary>
    protected static ModuleList<ResnetBlock2D> Resnets(BlockSpec spec, ResnetSettings settings) =>
        new([.. Enumerable.Range(0, spec.Layers).Select(i =>
            new ResnetBlock2D(i == 0 ? spec.InChannels : spec.OutChannels, spec.OutChannels, settings))]);
}

/// <summary>The middle of the U-Net: (hidden, time embedding, text) -> hidden.</summary>
public abstract class UNetMidBlock(string name) : nn.Module<Tensor, Tensor, TextContext, Tensor>(name);

/// <summary>A block of the expanding path: (hidden, its skips in down order, time embedding, text) -> hidden.</summary>
public abstract class UNetUpBlock(string name) : nn.Module<Tensor, IReadOnlyList<Tensor>, Tensor, TextContext, Tensor>(name)
{
    /// <summary>How many skip connections the block consumes (one per residual block).</summary>
    public abstract int SkipCount { get; }

    /// <summary>
    /// Residual block i reads the previous output concatenated with the i-th skip from the end;
    /// the last one takes the skip of the level above, hence its other width.
    /// </summary>
    protected static ModuleList<ResnetBlock2D> Resnets(BlockSpec spec, ResnetSettings settings) =>
        new([.. Enumerable.Range(0, spec.Layers).Select(i =>
        {
            var skipChannels = i == spec.Layers - 1 ? spec.InChannels : spec.OutChannels;
            var inChannels = i == 0 ? spec.PrevOutputChannels : spec.OutChannels;
            return new ResnetBlock2D(inChannels + skipChannels, spec.OutChannels, settings);
        })]);

    /// <summary>The skip for residual block <paramref name="i"/>: they are consumed from the deepest.</summary>
    protected static Tensor WithSkip(Tensor hidden, IReadOnlyList<Tensor> skips, int i) =>
        cat([hidden, skips[skips.Count - 1 - i]], dim: 1);
}
