using TextToImage.Diffusion.Native;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TextToImage.Training.Evaluation;

/// <summary>
/// Full-reference image quality of 8-bit images: batches [N, C, H, W] of values in [0, 255]
/// (any dtype; computed in float64), one score per image.
/// </summary>
public static class ImageQuality
{
    /// <summary>The data range L of 8-bit images.</summary>
    public const double DataRange = 255;

    /// <summary>
    /// PSNR of identical images is +∞; it is reported as this cap so that means and JSON stay finite.
    /// The smallest real difference, one grey level in one of n values, is 10 log10(255² n) dB: below
    /// the cap for images of up to 153,000 values (95.1 dB for a 128 x 128 RGB image).
    /// </summary>
    public const double MaxPsnr = 100;

    /// <summary>SSIM settings of Wang et al. (2004): an 11 x 11 Gaussian window of σ 1.5, K1 0.01, K2 0.03.</summary>
    public const int SsimWindow = 11;
    public const double SsimSigma = 1.5, SsimK1 = 0.01, SsimK2 = 0.03;

    /// <summary>Peak signal-to-noise ratio per image, 10 log10(L² / MSE) in dB over all channels, capped at <see cref="MaxPsnr"/>.</summary>
    public static double[] Psnr(Tensor reference, Tensor test)
    {
        CheckPair(reference, test);
        using var finalizers = FinalizerGate.Hold();
        using var scope = NewDisposeScope();
        var mse = (reference.to_type(ScalarType.Float64) - test.to_type(ScalarType.Float64)).pow(2).mean([1, 2, 3]).cpu();
        return mse.data<double>().ToArray()
            .Select(m => m <= 0 ? MaxPsnr : Math.Min(MaxPsnr, 10 * Math.Log10(DataRange * DataRange / m))).ToArray();
    }

    /// <summary>
    /// Mean SSIM per image, computed per channel and averaged over channels (RGB, not luminance):
    /// local means, variances and covariance under the normalised 11 x 11 Gaussian window (population
    /// moments), over the positions where the window lies inside the image ("valid"). This is Wang et
    /// al.'s reference <c>ssim_index.m</c> per channel, and scikit-image's
    /// <c>structural_similarity(a, b, channel_axis=-1, gaussian_weights=True, sigma=1.5,
    /// use_sample_covariance=False, data_range=255)</c>, which crops the same border.
    /// </summary>
    public static double[] Ssim(Tensor reference, Tensor test)
    {
        CheckPair(reference, test);
        if (reference.shape[2] < SsimWindow || reference.shape[3] < SsimWindow)
            throw new ArgumentException($"SSIM needs images of at least {SsimWindow} x {SsimWindow} pixels.");
        // Its arithmetic makes TorchSharp's finalizer-freed Scalars: a collection mid-call must not free one (FinalizerGate).
        using var finalizers = FinalizerGate.Hold();
        using var scope = NewDisposeScope();
        var channels = reference.shape[1];
        var x = reference.to_type(ScalarType.Float64).cpu();
        var y = test.to_type(ScalarType.Float64).cpu();
        // The 2-D Gaussian is separable: a column pass then a row pass, 22 taps instead of 121.
        var g = GaussianKernel();
        var (column, row) = (g.reshape(1, 1, SsimWindow, 1).expand(channels, 1, SsimWindow, 1), g.reshape(1, 1, 1, SsimWindow).expand(channels, 1, 1, SsimWindow));
        Tensor Filter(Tensor t) => F.conv2d(F.conv2d(t, column, groups: channels), row, groups: channels);

        var (c1, c2) = (Math.Pow(SsimK1 * DataRange, 2), Math.Pow(SsimK2 * DataRange, 2));
        var (muX, muY) = (Filter(x), Filter(y));
        var sigmaXX = Filter(x * x) - muX * muX;
        var sigmaYY = Filter(y * y) - muY * muY;
        var sigmaXY = Filter(x * y) - muX * muY;
        var map = (2 * muX * muY + c1) * (2 * sigmaXY + c2) / ((muX * muX + muY * muY + c1) * (sigmaXX + sigmaYY + c2));
        // Every channel has the same number of positions: the mean over all is the mean of the per-channel means.
        return map.mean([1, 2, 3]).data<double>().ToArray();
    }

    /// <summary>The normalised 1-D Gaussian, 11 taps of σ 1.5, float64; its outer product is MATLAB's fspecial('gaussian', 11, 1.5).</summary>
    public static Tensor GaussianKernel()
    {
        using var finalizers = FinalizerGate.Hold();
        using var scope = NewDisposeScope();
        var half = SsimWindow / 2;
        var g = arange(-half, half + 1, ScalarType.Float64).pow(2).div(-2 * SsimSigma * SsimSigma).exp();
        return (g / g.sum()).MoveToOuterDisposeScope();
    }

    static void CheckPair(Tensor reference, Tensor test)
    {
        if (reference.dim() != 4 || !reference.shape.SequenceEqual(test.shape))
            throw new ArgumentException($"Expected two [N, C, H, W] batches of one shape; got [{string.Join(", ", reference.shape)}] and [{string.Join(", ", test.shape)}].");
    }
}
