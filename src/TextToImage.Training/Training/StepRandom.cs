using static TorchSharp.torch;

namespace TextToImage.Training.Training;

/// <summary>
/// The random draws of one optimiser step, derived from (run seed, step) alone. A resumed run
/// therefore draws exactly what an uninterrupted one would have, with no generator state to save.
/// </summary>
public sealed class StepRandom : IDisposable
{
    public StepRandom(long seed, long step)
    {
        var mixed = SplitMix((ulong)seed ^ SplitMix((ulong)step + 0x9E3779B97F4A7C15UL));
        Managed = new Random((int)(mixed & 0x7FFFFFFF));
        Torch = new Generator(SplitMix(mixed));
    }

    /// <summary>Indices, dropout, crops.</summary>
    public Random Managed { get; }

    /// <summary>Timesteps and noise (drawn on the CPU in float32).</summary>
    public Generator Torch { get; }

    public void Dispose() => Torch.Dispose();

    static ulong SplitMix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
