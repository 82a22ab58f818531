using TorchSharp;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Samplers;

/// <summary>
/// Where a sampler's random draws come from. Noise is always drawn on the CPU in float32 and
/// then moved to the sample's device and dtype, so a seed gives the same images on any device
/// and in any precision.
/// </summary>
public abstract class NoiseSource : IDisposable
{
    /// <summary>The process-wide generator (<c>torch.manual_seed</c>), what diffusers uses when given no generator.</summary>
    public static NoiseSource Global { get; } = new GlobalNoise();

    /// <summary>Standard normal noise shaped like <paramref name="sample"/>, on its device, in its dtype.</summary>
    public Tensor RandnLike(Tensor sample)
    {
        using var scope = NewDisposeScope();
        var noise = DrawCpuFloat32(sample.shape);
        return noise.to(sample.dtype, sample.device).MoveToOuterDisposeScope();
    }

    /// <summary>Draws a float32 CPU tensor of the given shape.</summary>
    protected abstract Tensor DrawCpuFloat32(long[] shape);

    /// <summary>Keeps the generators of these batch rows only (a caller of a shared batch left it).</summary>
    public virtual void KeepRows(long[] rows) =>
        throw new NotSupportedException($"{GetType().Name} has no per-row generators to drop rows from.");

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing) { }

    sealed class GlobalNoise : NoiseSource
    {
        protected override Tensor DrawCpuFloat32(long[] shape) => torch.randn(shape, ScalarType.Float32, CPU);
    }
}

/// <summary>
/// One draw of the full shape from one generator, exactly like diffusers' <c>randn_tensor</c>
/// with a single generator. Takes ownership of the generator.
/// </summary>
public sealed class GeneratorNoise(Generator generator) : NoiseSource
{
    protected override Tensor DrawCpuFloat32(long[] shape) =>
        torch.randn(shape, ScalarType.Float32, CPU, generator: generator);

    protected override void Dispose(bool disposing)
    {
        if (disposing) generator.Dispose();
    }
}

/// <summary>
/// Row i of every draw comes from generator i (diffusers' list-of-generators path), so image i
/// of a batch is the same whatever the batch size. Takes ownership of the generators.
/// </summary>
public sealed class PerSampleNoise : NoiseSource
{
    IReadOnlyList<Generator> _generators;

    public PerSampleNoise(IReadOnlyList<Generator> generators)
    {
        if (generators.Count == 0) throw new ArgumentException("Give at least one generator.", nameof(generators));
        _generators = generators;
    }

    protected override Tensor DrawCpuFloat32(long[] shape)
    {
        if (shape.Length == 0 || shape[0] != _generators.Count)
            throw new ArgumentException(
                $"This noise source has {_generators.Count} generators (one per batch row) but was asked for shape [{string.Join(", ", shape)}].");
        var rowShape = (long[])shape.Clone();
        rowShape[0] = 1;
        var rows = _generators.Select(g => torch.randn(rowShape, ScalarType.Float32, CPU, generator: g)).ToArray();
        return torch.cat(rows, 0);
    }

    public override void KeepRows(long[] rows)
    {
        var kept = rows.Select(row => _generators[(int)row]).ToList();
        if (kept.Count == 0) throw new ArgumentException("Keep at least one row.", nameof(rows));
        foreach (var dropped in _generators.Except(kept)) dropped.Dispose();
        _generators = kept;
    }

    protected override void Dispose(bool disposing)
    {
        if (!disposing) return;
        foreach (var generator in _generators) generator.Dispose();
    }
}
