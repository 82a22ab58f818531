using TorchSharp;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Samplers;

/// <summary>
/// Keeps a predicted x₀ inside the data range: Imagen's dynamic thresholding when
/// <c>thresholding</c> is on, else a plain clamp to ±<c>clip_sample_range</c> when clipping is on.
/// </summary>
internal sealed class OriginalSampleLimits
{
    readonly bool _thresholding;
    readonly double _ratio;
    readonly double _maxValue;
    readonly bool _clip;
    readonly double _clipRange;

    /// <param name="honoursClipSample">False for samplers whose diffusers counterpart has no
    /// <c>clip_sample</c> option (DPM-Solver): one model's config serves every sampler, and a DDPM
    /// config's clip must not change what DPM-Solver computes. Where honoured, it defaults to on.</param>
    public OriginalSampleLimits(SchedulerConfig config, bool honoursClipSample)
    {
        if (config.Thresholding && config.DynamicThresholdingRatio is not (>= 0 and <= 1))
            throw new ArgumentException($"dynamic_thresholding_ratio must lie in [0, 1], not {config.DynamicThresholdingRatio}.");
        _thresholding = config.Thresholding;
        _ratio = config.DynamicThresholdingRatio;
        _maxValue = config.SampleMaxValue;
        _clip = honoursClipSample && (config.ClipSample ?? true);
        _clipRange = config.ClipSampleRange;
    }

    public Tensor Apply(Tensor predOriginalSample) =>
        _thresholding ? DynamicThreshold(predOriginalSample)
        : _clip ? predOriginalSample.clamp(-_clipRange, _clipRange)
        : predOriginalSample;

    /// <summary>
    /// Saharia et al. 2022: per sample, s = the <c>ratio</c> quantile of |x₀|, clamped to
    /// [1, sample_max_value]; then x₀ = clamp(x₀, −s, s) / s. Saturated pixels are pushed inwards
    /// instead of piling up at ±1. Computed in float32 for half-precision input (quantile needs it).
    /// </summary>
    Tensor DynamicThreshold(Tensor sample)
    {
        var dtype = sample.dtype;
        var work = dtype is ScalarType.Float32 or ScalarType.Float64 ? sample : sample.to_type(ScalarType.Float32);
        var flat = work.reshape(work.shape[0], -1);

        var quantile = torch.tensor(_ratio, work.dtype, work.device);
        // torch.clamp(min: 1, max: m) gives m where m < 1, as diffusers relies on for sample_max_value < 1.
        var s = flat.abs().quantile(quantile, dim: 1).clamp(1.0, _maxValue).unsqueeze(1);
        var thresholded = flat.clamp(-s, s) / s;
        return thresholded.reshape(sample.shape).to_type(dtype);
    }
}
