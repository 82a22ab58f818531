using static TextToImage.Diffusion.Samplers.Numpy;

namespace TextToImage.Diffusion.Samplers;

/// <summary>How inference timesteps are laid over the training range (Lin et al. 2023, Table 2).</summary>
internal enum TimestepSpacing { Leading, Trailing, Linspace }

/// <summary>
/// The timestep grids of diffusers' schedulers. They are written with numpy there, and its
/// float <c>linspace</c>/<c>arange</c> and round-half-to-even decide which integers come out,
/// so the helpers below reproduce numpy's arithmetic step for step.
/// </summary>
internal static class TimestepSpacings
{
    public static TimestepSpacing Parse(string? name, TimestepSpacing fallback) => name switch
    {
        null => fallback,
        "leading" => TimestepSpacing.Leading,
        "trailing" => TimestepSpacing.Trailing,
        "linspace" => TimestepSpacing.Linspace,
        _ => throw new ArgumentException($"timestep_spacing '{name}' is not supported; use leading, trailing or linspace."),
    };

    /// <summary>DDPM and DDIM: <paramref name="count"/> timesteps, descending.</summary>
    public static int[] Standard(TimestepSpacing spacing, int numTrainTimesteps, int count, int stepsOffset) => spacing switch
    {
        TimestepSpacing.Linspace => Descending(Linspace(0, numTrainTimesteps - 1, count).Select(Round)),
        TimestepSpacing.Leading => Descending(Enumerable.Range(0, count).Select(i => (long)i * (numTrainTimesteps / count) + stepsOffset)),
        TimestepSpacing.Trailing => Arange(numTrainTimesteps, 0, -(double)numTrainTimesteps / count).Select(t => (int)(Round(t) - 1)).ToArray(),
        _ => throw new ArgumentOutOfRangeException(nameof(spacing)),
    };

    /// <summary>
    /// DPM-Solver: a grid of <paramref name="count"/> + 1 points whose last (t = 0) is dropped,
    /// over the first <paramref name="lastTimestep"/> training steps (fewer when λ is clipped).
    /// </summary>
    public static int[] DpmSolver(TimestepSpacing spacing, int numTrainTimesteps, int lastTimestep, int count, int stepsOffset) => spacing switch
    {
        TimestepSpacing.Linspace => Descending(Linspace(0, lastTimestep - 1, count + 1).Select(Round))[..^1],
        TimestepSpacing.Leading => Descending(Enumerable.Range(0, count + 1).Select(i => (long)i * (lastTimestep / (count + 1))))[..^1]
            .Select(t => t + stepsOffset).ToArray(),
        TimestepSpacing.Trailing => Arange(lastTimestep, 0, -(double)numTrainTimesteps / count).Select(t => (int)(Round(t) - 1)).ToArray(),
        _ => throw new ArgumentOutOfRangeException(nameof(spacing)),
    };

    static int[] Descending(IEnumerable<long> ascending) => ascending.Reverse().Select(t => checked((int)t)).ToArray();
}

/// <summary>numpy's float arithmetic for grids, reproduced so the same integers come out.</summary>
internal static class Numpy
{
    /// <summary>np.round: half to even.</summary>
    public static long Round(double x) => (long)Math.Round(x, MidpointRounding.ToEven);

    /// <summary>np.linspace(start, stop, num): start + i·step, with the last point set to stop exactly.</summary>
    public static double[] Linspace(double start, double stop, int num)
    {
        var values = new double[num];
        var step = (stop - start) / (num - 1);
        for (var i = 0; i < num; i++) values[i] = num > 1 ? i * step + start : start;
        if (num > 1) values[^1] = stop;
        return values;
    }

    /// <summary>
    /// np.arange(start, stop, step) for floats: ceil((stop − start) / step) points, the second is
    /// start + step, and the rest start + i·(second − start).
    /// </summary>
    public static double[] Arange(double start, double stop, double step)
    {
        var length = (int)Math.Max(0, Math.Ceiling((stop - start) / step));
        var values = new double[length];
        if (length == 0) return values;
        values[0] = start;
        if (length == 1) return values;
        values[1] = start + step;
        var delta = values[1] - start;
        for (var i = 2; i < length; i++) values[i] = start + i * delta;
        return values;
    }
}
