using static TorchSharp.torch;

namespace TextToImage.Training.Training;

/// <summary>
/// Makes the captions a stage is trained on less exact, so that it learns what a caption means rather
/// than its exact token states, and a prompt worded otherwise (whose states differ) still draws the same thing.
/// Token dropout hides each token after the first from cross-attention with probability
/// <c>tokenDropout</c> (the first, the encoder's [CLS], always stays, so no row attends to nothing), so that
/// no single word carries a caption alone; text noise adds Gaussian noise of <c>textNoise</c> times the
/// cached states' root mean square to every real token, so nearby states draw alike. Both off (0), it
/// returns its inputs and draws nothing, so runs without it train exactly as before.
/// </summary>
public sealed class TextAugmentation(double tokenDropout, double textNoise, TextEmbeddingCache text)
{
    // Measured once, over real tokens only (padding is zero and would shrink it).
    readonly Lazy<double> _rms = new(() =>
    {
        using var scope = NewDisposeScope();
        var realValues = text.Mask.to_type(ScalarType.Float32).sum().item<float>() * text.States.shape[^1];
        return Math.Sqrt(text.States.square().sum().item<float>() / realValues);
    });

    /// <param name="states">[B, L, D], zero at padding.</param>
    /// <param name="mask">[B, L] bool, true at real tokens.</param>
    /// <returns>Tensors in the caller's dispose scope.</returns>
    public (Tensor States, Tensor Mask) Apply(Tensor states, Tensor mask, Generator random)
    {
        if (tokenDropout > 0)
        {
            var keep = rand(mask.shape, generator: random).ge_(tokenDropout);
            keep[.., 0] = true;
            mask = mask.logical_and(keep);
            states = states.mul(mask.unsqueeze(-1));
        }
        if (textNoise > 0)
            states = states.add(randn(states.shape, generator: random).mul_(textNoise * _rms.Value).mul_(mask.unsqueeze(-1)));
        return (states, mask);
    }
}
