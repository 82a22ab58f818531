namespace TextToImage.Diffusion.Networks;

/// <summary>What every residual block of one network shares (diffusers' resnet_* arguments).</summary>
/// <param name="TembChannels">Width of the time embedding each block projects.</param>
/// <param name="ScaleShift">resnet_time_scale_shift = "scale_shift": the embedding scales and shifts the normalised
/// features (FiLM, as in Imagen and IF) instead of being added before the norm.</param>
/// <param name="SkipTimeAct">The activation was already applied to the embedding once for the whole network.</param>
/// <param name="OutputScaleFactor">Divides (skip + residual); 1.41421 keeps the variance from growing with depth
/// (Efficient U-Net's skip scaling).</param>
public sealed record ResnetSettings(
    long TembChannels, long Groups, double Eps, string ActFn,
    bool ScaleShift, bool SkipTimeAct, double OutputScaleFactor, double Dropout);

/// <summary>What every attention layer of one network shares.</summary>
/// <param name="HeadDim">Channels per head (attention_head_dim).</param>
/// <param name="TextChannels">Width of the text states the layer reads (cross_attention_dim).</param>
/// <param name="Groups">Groups of the GroupNorm on the image features.</param>
/// <param name="NormCross">cross_attention_norm = "group_norm": normalise the text states first (32 groups, as diffusers).</param>
/// <param name="OnlyCrossAttention">Attend to the text only, without the image's own keys.</param>
public sealed record AttentionSettings(long HeadDim, long TextChannels, long Groups, bool NormCross, bool OnlyCrossAttention);

/// <summary>One level of the U-Net as the block factory receives it.</summary>
/// <param name="InChannels">Down: channels entering. Up: channels of the deepest skip connection this block takes.</param>
/// <param name="PrevOutputChannels">Up only: channels coming from the block below.</param>
/// <param name="Layers">Residual blocks in this block (the up path has one more than the down path).</param>
/// <param name="Resample">Whether the block ends by halving (down) or doubling (up) the resolution.</param>
public sealed record BlockSpec(
    long InChannels, long OutChannels, long PrevOutputChannels, int Layers, bool Resample,
    ResnetSettings Resnet, AttentionSettings Attention);
