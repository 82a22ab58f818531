using TorchSharp;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Schedules;

/// <summary>
/// The forward (noising) process q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I) of a DDPM, t = 0…T−1.
/// β, α = 1 − β and ᾱ = ∏α are float32 (computed with libtorch, as diffusers does) and live on
/// the CPU as arrays: the schedule holds no tensors and needs no disposal. Coefficients are
/// gathered there and moved to the data's device and dtype, so results do not depend on where
/// the data lives.
/// </summary>
public sealed class NoiseSchedule
{
    readonly float[] _betas;
    readonly float[] _alphas;
    readonly float[] _alphasCumprod;

    public NoiseSchedule(IReadOnlyList<float> betas)
    {
        if (betas.Count == 0) throw new ArgumentException("A noise schedule needs at least one beta.", nameof(betas));
        if (betas.Any(b => !(b > 0 && b <= 1)))
            throw new ArgumentException("Every beta must lie in (0, 1].", nameof(betas));
        _betas = betas.ToArray();
        using var scope = NewDisposeScope();
        var alphas = 1.0f - torch.tensor(_betas);
        _alphas = alphas.data<float>().ToArray();
        _alphasCumprod = torch.cumprod(alphas, 0).data<float>().ToArray();
    }

    public int NumTrainTimesteps => _betas.Length;
    public IReadOnlyList<float> Betas => _betas;
    public IReadOnlyList<float> Alphas => _alphas;
    public IReadOnlyList<float> AlphasCumprod => _alphasCumprod;

    /// <summary>ᾱ_t, the fraction of signal variance left at timestep t.</summary>
    public double AlphaCumprod(int t)
    {
        if (t < 0 || t >= NumTrainTimesteps)
            throw new ArgumentOutOfRangeException(nameof(t), t, $"Timesteps run from 0 to {NumTrainTimesteps - 1}.");
        return _alphasCumprod[t];
    }

    /// <summary>
    /// β̃ = (1 − ᾱ_prev) / (1 − ᾱ_t) · (1 − ᾱ_t / ᾱ_prev), the variance of q(x_prev | x_t, x_0)
    /// (Ho et al. 2020 eq. 7, between any two timesteps). A negative <paramref name="prevTimestep"/>
    /// means x_0 itself (ᾱ = 1). Computed in float32, as diffusers does.
    /// </summary>
    public float PosteriorVariance(int timestep, int prevTimestep)
    {
        var alphaProdT = (float)AlphaCumprod(timestep);
        var alphaProdTPrev = prevTimestep >= 0 ? (float)AlphaCumprod(prevTimestep) : 1f;
        return PosteriorVariance(alphaProdT, alphaProdTPrev);
    }

    internal static float PosteriorVariance(float alphaProdT, float alphaProdTPrev) =>
        (1f - alphaProdTPrev) / (1f - alphaProdT) * (1f - alphaProdT / alphaProdTPrev);

    /// <summary>x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε, with one timestep per batch row (or one for all).</summary>
    public Tensor AddNoise(Tensor x0, Tensor noise, Tensor timesteps)
    {
        using var scope = NewDisposeScope();
        var (sqrtAlphaProd, sqrtOneMinusAlphaProd) = Coefficients(timesteps, x0);
        return (sqrtAlphaProd * x0 + sqrtOneMinusAlphaProd * noise).MoveToOuterDisposeScope();
    }

    /// <summary>v = √ᾱ_t ε − √(1 − ᾱ_t) x_0 (Salimans and Ho 2022), the v-prediction target.</summary>
    public Tensor VelocityTarget(Tensor x0, Tensor noise, Tensor timesteps)
    {
        using var scope = NewDisposeScope();
        var (sqrtAlphaProd, sqrtOneMinusAlphaProd) = Coefficients(timesteps, x0);
        return (sqrtAlphaProd * noise - sqrtOneMinusAlphaProd * x0).MoveToOuterDisposeScope();
    }

    /// <summary>What a network of the given prediction type should output for x_t = AddNoise(x0, noise, t).</summary>
    public Tensor TrainingTarget(PredictionType predictionType, Tensor x0, Tensor noise, Tensor timesteps) => predictionType switch
    {
        PredictionType.Epsilon => noise.alias(),
        PredictionType.VPrediction => VelocityTarget(x0, noise, timesteps),
        PredictionType.Sample => x0.alias(),
        _ => throw new ArgumentOutOfRangeException(nameof(predictionType)),
    };

    /// <summary>
    /// √ᾱ_t and √(1 − ᾱ_t), computed in float32 on the CPU, shaped [B, 1, 1, …] to broadcast
    /// against <paramref name="like"/>, then moved to its device and dtype.
    /// </summary>
    (Tensor SqrtAlphaProd, Tensor SqrtOneMinusAlphaProd) Coefficients(Tensor timesteps, Tensor like)
    {
        var steps = timesteps.cpu().to_type(ScalarType.Int64).flatten().data<long>().ToArray();
        var batch = like.dim() == 0 ? 1 : like.shape[0];
        if (steps.Length != 1 && steps.Length != batch)
            throw new ArgumentException($"Got {steps.Length} timesteps for a batch of {batch}; pass one per row or one for all.", nameof(timesteps));

        var sqrtAlpha = new float[steps.Length];
        var sqrtOneMinusAlpha = new float[steps.Length];
        for (var i = 0; i < steps.Length; i++)
        {
            var alphaProd = (float)AlphaCumprod(checked((int)steps[i]));
            sqrtAlpha[i] = MathF.Sqrt(alphaProd);
            sqrtOneMinusAlpha[i] = MathF.Sqrt(1f - alphaProd);
        }

        var shape = new long[Math.Max(like.dim(), 1)];
        Array.Fill(shape, 1L);
        shape[0] = steps.Length;
        return (torch.tensor(sqrtAlpha, shape).to(like.dtype, like.device),
                torch.tensor(sqrtOneMinusAlpha, shape).to(like.dtype, like.device));
    }
}
