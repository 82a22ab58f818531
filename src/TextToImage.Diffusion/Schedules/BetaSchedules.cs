using TorchSharp;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Schedules;

/// <summary>
/// The forward-process variances β₁…β_T. Linear and scaled-linear schedules and the zero-SNR
/// rescale run through libtorch in float32, exactly as diffusers builds them, so that ᾱ matches
/// diffusers bit for bit and seeded results carry over.
/// </summary>
public static class BetaSchedules
{
    /// <summary>Ho et al. 2020: β evenly spaced from <paramref name="betaStart"/> to <paramref name="betaEnd"/>.</summary>
    public static float[] Linear(double betaStart, double betaEnd, int numTrainTimesteps)
    {
        using var scope = NewDisposeScope();
        return torch.linspace(betaStart, betaEnd, numTrainTimesteps, ScalarType.Float32).data<float>().ToArray();
    }

    /// <summary>Latent diffusion: √β evenly spaced, then squared.</summary>
    public static float[] ScaledLinear(double betaStart, double betaEnd, int numTrainTimesteps)
    {
        using var scope = NewDisposeScope();
        var sqrtBetas = torch.linspace(Math.Sqrt(betaStart), Math.Sqrt(betaEnd), numTrainTimesteps, ScalarType.Float32);
        return sqrtBetas.pow(2).data<float>().ToArray();
    }

    /// <summary>
    /// Nichol and Dhariwal 2021 ("squaredcos_cap_v2"): β_i = 1 − ᾱ(t_{i+1}) / ᾱ(t_i) with
    /// ᾱ(t) = cos²((t + 0.008) / 1.008 · π/2), capped at <paramref name="maxBeta"/> so the last
    /// steps do not become singular. Computed in double, stored in float32 (as diffusers does).
    /// </summary>
    public static float[] SquaredCosCapV2(int numTrainTimesteps, double maxBeta = 0.999)
    {
        static double AlphaBar(double t) => Math.Pow(Math.Cos((t + 0.008) / 1.008 * Math.PI / 2), 2);

        var betas = new float[numTrainTimesteps];
        for (var i = 0; i < numTrainTimesteps; i++)
        {
            var t1 = (double)i / numTrainTimesteps;
            var t2 = (double)(i + 1) / numTrainTimesteps;
            betas[i] = (float)Math.Min(1 - AlphaBar(t2) / AlphaBar(t1), maxBeta);
        }
        return betas;
    }

    /// <summary>
    /// Lin et al. 2023, Algorithm 1: shift and scale √ᾱ so that the last timestep has zero
    /// signal (ᾱ_T = 0) while the first keeps its value, then convert back to β.
    /// </summary>
    public static float[] RescaleZeroTerminalSnr(float[] betas)
    {
        using var scope = NewDisposeScope();
        var alphasCumprod = torch.cumprod(1.0f - torch.tensor(betas), 0);
        var sqrtAlphasCumprod = alphasCumprod.sqrt();
        var n = betas.Length;
        var first = sqrtAlphasCumprod[0].clone();
        var last = sqrtAlphasCumprod[n - 1].clone();

        // 1. Shift so the last timestep is zero; 2. scale so the first is back to its old value.
        sqrtAlphasCumprod = (sqrtAlphasCumprod - last) * (first / (first - last));

        // 3. Undo the square root and the cumulative product.
        var rescaledCumprod = sqrtAlphasCumprod.pow(2);
        var alphas = torch.cat([rescaledCumprod.narrow(0, 0, 1), rescaledCumprod.narrow(0, 1, n - 1) / rescaledCumprod.narrow(0, 0, n - 1)]);
        return (1.0f - alphas).data<float>().ToArray();
    }
}
