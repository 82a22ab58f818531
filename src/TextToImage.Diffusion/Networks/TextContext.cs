using static TorchSharp.torch;

namespace TextToImage.Diffusion.Networks;

/// <summary>
/// The text the attention layers read: token states [B, L, D] (already projected to
/// cross_attention_dim) and, optionally, which tokens are real [B, L] (bool, true = real).
/// Masked tokens are ignored everywhere; the image's own keys are always attended.
/// </summary>
public sealed record TextContext(Tensor States, Tensor? Mask);
