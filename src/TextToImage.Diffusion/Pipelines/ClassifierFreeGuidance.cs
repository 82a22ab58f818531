using static TorchSharp.torch;

namespace TextToImage.Diffusion.Pipelines;

/// <summary>
/// Classifier-free guidance (Ho &amp; Salimans 2022): the batch holds the conditional rows, then
/// the unconditional (or negative-prompt) rows; out = uncond + s (cond - uncond). With learned
/// variance the extra channels are not guided: they come from the conditional branch, as in
/// DeepFloyd IF / diffusers.
/// </summary>
public static class ClassifierFreeGuidance
{
    public static Tensor Combine(Tensor output, double scale, int imageChannels) =>
        Combine(output, difference => scale * difference, imageChannels);

    /// <param name="scales">One scale per image, [N, 1, 1, 1] (images of a batch that asked for different guidance).</param>
    public static Tensor Combine(Tensor output, Tensor scales, int imageChannels) =>
        Combine(output, difference => scales * difference, imageChannels);

    static Tensor Combine(Tensor output, Func<Tensor, Tensor> scaled, int imageChannels)
    {
        var halves = output.chunk(2);
        var (conditional, unconditional) = (halves[0], halves[1]);
        if (output.shape[1] == imageChannels)
            return unconditional + scaled(conditional - unconditional);

        var condPrediction = conditional[.., ..imageChannels];
        var uncondPrediction = unconditional[.., ..imageChannels];
        var variance = conditional[.., imageChannels..];
        return cat([uncondPrediction + scaled(condPrediction - uncondPrediction), variance], 1);
    }
}
