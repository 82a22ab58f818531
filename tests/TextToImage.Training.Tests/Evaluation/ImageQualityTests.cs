using TextToImage.Training.Evaluation;
using static TorchSharp.torch;

namespace TextToImage.Training.Tests.Evaluation;

public sealed class ImageQualityTests
{
    static Tensor RandomImages(int count, int size, long seed)
    {
        using var generator = new TorchSharp.torch.Generator((ulong)seed);
        return randint(0, 256, [count, 3, size, size], generator: generator).to_type(ScalarType.Float64);
    }

    [Fact]
    public void Psnr_of_identical_images_is_the_documented_cap()
    {
        using var images = RandomImages(2, 16, 1);
        Assert.Equal([ImageQuality.MaxPsnr, ImageQuality.MaxPsnr], ImageQuality.Psnr(images, images.clone()));
    }

    [Fact]
    public void Psnr_of_a_known_difference_matches_the_formula()
    {
        using var reference = full([2, 3, 16, 16], 100.0, ScalarType.Float64);
        using var test = reference.clone();
        test[0].add_(5);                                  // MSE 25
        test[1, .., ..8].add_(-10);                       // half the values off by 10: MSE 50
        var psnr = ImageQuality.Psnr(reference, test);
        Assert.Equal(10 * Math.Log10(255.0 * 255 / 25), psnr[0], 10);   // 34.151 dB
        Assert.Equal(10 * Math.Log10(255.0 * 255 / 50), psnr[1], 10);   // 31.141 dB
        Assert.Equal(34.1514, psnr[0], 3);
    }

    [Fact]
    public void Ssim_of_identical_images_is_one()
    {
        using var images = RandomImages(2, 24, 2);
        foreach (var value in ImageQuality.Ssim(images, images.clone())) Assert.Equal(1.0, value, 12);
    }

    [Fact]
    public void Ssim_of_two_flat_images_is_the_luminance_term_by_hand()
    {
        // No variance anywhere: SSIM = (2 μx μy + C1) / (μx² + μy² + C1) with C1 = (0.01 · 255)² = 6.5025,
        // and C2 / C2 = 1 for the rest: (2·100·120 + 6.5025) / (100² + 120² + 6.5025) = 24006.5025 / 24406.5025.
        using var x = full([1, 3, 16, 16], 100.0, ScalarType.Float64);
        using var y = full([1, 3, 16, 16], 120.0, ScalarType.Float64);
        Assert.Equal(24006.5025 / 24406.5025, ImageQuality.Ssim(x, y)[0], 12);
        Assert.Equal(0.983611, ImageQuality.Ssim(x, y)[0], 6);
    }

    [Fact]
    public void Ssim_drops_as_noise_grows()
    {
        using var clean = RandomImages(1, 32, 3).div(4).add(96);     // a textured image in 96..160
        using var generator = new TorchSharp.torch.Generator(4);
        using var noise = randn([1, 3, 32, 32], ScalarType.Float64, generator: generator);
        var light = ImageQuality.Ssim(clean, (clean + 5 * noise).clamp(0, 255))[0];
        var heavy = ImageQuality.Ssim(clean, (clean + 40 * noise).clamp(0, 255))[0];
        Assert.True(light < 1 && heavy < light, $"light {light}, heavy {heavy}");
        Assert.True(heavy < 0.5, $"heavy {heavy}");
    }

    [Fact]
    public void Ssim_matches_a_direct_implementation_of_wang_et_al()
    {
        using var x = RandomImages(2, 17, 5);
        using var y = (x * 0.7 + RandomImages(2, 17, 6) * 0.3).round();
        var expected = Enumerable.Range(0, 2).Select(i => DirectSsim(x[i], y[i])).ToArray();
        var actual = ImageQuality.Ssim(x, y);
        for (var i = 0; i < 2; i++) Assert.Equal(expected[i], actual[i], 10);
    }

    /// <summary>
    /// Wang et al. (2004) written out with loops in double, independently of the convolution code:
    /// the 11 x 11 Gaussian (σ 1.5) normalised to sum 1, population moments per window position
    /// where the window fits, SSIM per position, mean per channel, mean over channels.
    /// </summary>
    static double DirectSsim(Tensor x, Tensor y)
    {
        const int w = 11, r = 5;
        var weights = new double[w, w];
        double total = 0;
        for (var i = 0; i < w; i++)
            for (var j = 0; j < w; j++)
                total += weights[i, j] = Math.Exp(-((i - r) * (i - r) + (j - r) * (j - r)) / (2 * 1.5 * 1.5));
        var (channels, h, width) = ((int)x.shape[0], (int)x.shape[1], (int)x.shape[2]);
        var xs = x.contiguous().data<double>().ToArray();
        var ys = y.contiguous().data<double>().ToArray();
        double c1 = Math.Pow(0.01 * 255, 2), c2 = Math.Pow(0.03 * 255, 2), sum = 0;
        var positions = 0;
        for (var c = 0; c < channels; c++)
            for (var top = 0; top + w <= h; top++)
                for (var left = 0; left + w <= width; left++)
                {
                    double mx = 0, my = 0, xx = 0, yy = 0, xy = 0;
                    for (var i = 0; i < w; i++)
                        for (var j = 0; j < w; j++)
                        {
                            var g = weights[i, j] / total;
                            var a = xs[(c * h + top + i) * width + left + j];
                            var b = ys[(c * h + top + i) * width + left + j];
                            mx += g * a; my += g * b; xx += g * a * a; yy += g * b * b; xy += g * a * b;
                        }
                    var (vx, vy, cxy) = (xx - mx * mx, yy - my * my, xy - mx * my);
                    sum += (2 * mx * my + c1) * (2 * cxy + c2) / ((mx * mx + my * my + c1) * (vx + vy + c2));
                    positions++;
                }
        return sum / positions;
    }
}
