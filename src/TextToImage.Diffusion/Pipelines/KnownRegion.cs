using TextToImage.Diffusion.Samplers;
using TextToImage.Diffusion.Schedules;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Pipelines;

/// <summary>
/// The known pixels of an inpainting: after every step the sample outside the mask is replaced by
/// the picture noised to the sample's level, q(x_t | x₀_known), so the network always sees known
/// content as it would at that noise level and the last step (level −1, x₀) keeps the picture itself.
/// </summary>
internal sealed class KnownRegion(Tensor original, Tensor mask, NoiseSchedule schedule, NoiseSource noise)
{
    /// <summary>mask · sample + (1 − mask) · q(x_level | x₀_known); level −1 is x₀.</summary>
    public Tensor Blend(Tensor sample, int level)
    {
        using var scope = NewDisposeScope();
        var known = level >= 0 ? schedule.AddNoise(original, noise.RandnLike(original), tensor(new long[] { level })) : original;
        return where(mask.gt(0.5), sample, known).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Back up the schedule from level <paramref name="from"/> to the noisier <paramref name="to"/>:
    /// x_to = √(ᾱ_to / ᾱ_from) x_from + √(1 − ᾱ_to / ᾱ_from) ε, the forward process between them.
    /// </summary>
    public Tensor Renoise(Tensor sample, int from, int to)
    {
        using var scope = NewDisposeScope();
        var alphaFrom = from >= 0 ? schedule.AlphaCumprod(from) : 1.0;
        var ratio = schedule.AlphaCumprod(to) / alphaFrom;
        return (Math.Sqrt(ratio) * sample + Math.Sqrt(1 - ratio) * noise.RandnLike(sample)).MoveToOuterDisposeScope();
    }
}
