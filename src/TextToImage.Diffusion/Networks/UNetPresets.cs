namespace TextToImage.Diffusion.Networks;

/// <summary>
/// Named U-Net configs sized for this CPU-only project, in IF's architecture (joint
/// text/self attention, scale-shift time conditioning, GELU, pooled text added to the time
/// embedding) with Efficient U-Net's choices: more residual blocks at low resolution, skip
/// scaling by 1/sqrt(2), attention only where the feature map is small.
/// The text width is a parameter: it is the text encoder's hidden size (encoder_hid_dim).
/// </summary>
public static class UNetPresets
{
    const double SkipScale = 1.41421;   // IF writes 1 / 0.7071

    /// <summary>
    /// The 32x32 base stage (3.4 M parameters with a 384-wide text encoder, 0.6 M of them pooling the
    /// text): levels 32/16/8 of 32/64/128 channels with 1/1/2 residual blocks, convolution resampling,
    /// text attention only at 8x8 and in the middle. Sized by training speed on CPU: attention at
    /// 16x16 (256 tokens, joint with the text) cost more than the rest of the network together; the
    /// pooled text in the time embedding already conditions every block.
    /// </summary>
    /// <param name="learnedVariance">6 output channels (epsilon + IF's learned variance interpolation) instead of 3.</param>
    public static UNet2DConditionConfig Base32(int textDim = 384, bool learnedVariance = false) => Efficient(textDim) with
    {
        SampleSize = 32,
        InChannels = 3,
        OutChannels = learnedVariance ? 6 : 3,
        BlockOutChannels = [32, 64, 128],
        LayersPerBlock = [1, 1, 2],
        AttentionHeadDim = [32],
        DownBlockTypes = ["DownBlock2D", "DownBlock2D", "SimpleCrossAttnDownBlock2D"],
        UpBlockTypes = ["SimpleCrossAttnUpBlock2D", "UpBlock2D", "UpBlock2D"],
        CrossAttentionDim = 128,
    };

    /// <summary>
    /// A super-resolution stage from <paramref name="inputSize"/> to <paramref name="outputSize"/>
    /// (both powers of two): x_t and the upsampled low-resolution image come in as 6 channels, the
    /// noise-augmentation level as class labels. The levels run from the output size down to half
    /// the input size, 32/64/96/128... channels (at most 128), one residual block per level except two at
    /// the lowest two; only the lowest level attends to the text (and the middle).
    /// 32 -> 128 with a 384-wide text encoder: 6.6 M parameters.
    /// </summary>
    public static UNet2DConditionConfig SuperResolution(int inputSize, int outputSize, int textDim = 384, bool learnedVariance = false)
    {
        if (!IsPowerOfTwo(inputSize) || !IsPowerOfTwo(outputSize) || outputSize <= inputSize || inputSize < 4)
            throw new ArgumentException($"Super-resolution needs power-of-two sizes with output > input >= 4; got {inputSize} -> {outputSize}.");
        var levels = (int)Math.Log2(outputSize / inputSize) + 2;
        var widths = Enumerable.Range(0, levels).Select(i => Math.Min(32 * (i + 1), 128)).ToArray();
        var layers = Enumerable.Range(0, levels).Select(i => i < levels - 2 ? 1 : 2).ToArray();
        return Efficient(textDim) with
        {
            SampleSize = outputSize,
            InChannels = 6,
            OutChannels = learnedVariance ? 6 : 3,
            BlockOutChannels = widths,
            LayersPerBlock = layers,
            DownBlockTypes = [.. Enumerable.Range(0, levels).Select(i => i == levels - 1 ? "SimpleCrossAttnDownBlock2D" : "ResnetDownsampleBlock2D")],
            UpBlockTypes = [.. Enumerable.Range(0, levels).Select(i => i == 0 ? "SimpleCrossAttnUpBlock2D" : "ResnetUpsampleBlock2D")],
            CrossAttentionDim = 128,
            ClassEmbedType = "timestep",
        };
    }

    /// <summary>
    /// A network of a few tens of thousands of parameters for tests: two levels (8 and 16 channels),
    /// attention at the lower one and in the middle. The base variant resamples with convolutions
    /// (DownBlock2D/UpBlock2D), the super-resolution one with residual blocks, as IF-II.
    /// </summary>
    /// <param name="sampleSize">Image size the stage works at (any multiple of 2).</param>
    /// <param name="crossAttentionDim">Width of the text the attention layers read. IF's group norm over the
    /// text (diffusers fixes 32 groups) is kept when it is a multiple of 32, left out otherwise.</param>
    /// <param name="encoderHidDim">Width of the text states given to the network, projected to crossAttentionDim; null: no projection.</param>
    public static UNet2DConditionConfig Tiny(int sampleSize = 8, int crossAttentionDim = 32, bool superResolution = false, int? encoderHidDim = null) =>
        Efficient(encoderHidDim ?? crossAttentionDim) with
        {
            SampleSize = sampleSize,
            InChannels = superResolution ? 6 : 3,
            OutChannels = 3,
            BlockOutChannels = [8, 16],
            LayersPerBlock = [1],
            NormNumGroups = 4,
            AttentionHeadDim = [8],
            DownBlockTypes = [superResolution ? "ResnetDownsampleBlock2D" : "DownBlock2D", "SimpleCrossAttnDownBlock2D"],
            UpBlockTypes = ["SimpleCrossAttnUpBlock2D", superResolution ? "ResnetUpsampleBlock2D" : "UpBlock2D"],
            CrossAttentionDim = crossAttentionDim,
            CrossAttentionNorm = crossAttentionDim % 32 == 0 ? "group_norm" : null,
            EncoderHidDim = encoderHidDim,
            ClassEmbedType = superResolution ? "timestep" : null,
        };

    /// <summary>IF's choices shared by every preset.</summary>
    static UNet2DConditionConfig Efficient(int textDim) => new()
    {
        MidBlockType = "UNetMidBlock2DSimpleCrossAttn",
        AttentionHeadDim = [64],
        EncoderHidDim = textDim,
        CrossAttentionNorm = "group_norm",
        AdditionEmbedType = "text",
        AdditionEmbedTypeNumHeads = PoolingHeads(textDim),
        ActFn = "gelu",
        ResnetTimeScaleShift = "scale_shift",
        ResnetSkipTimeAct = true,
        TimeEmbeddingActFn = "gelu",
        ResnetOutScaleFactor = SkipScale,
        MidBlockScaleFactor = SkipScale,
    };

    // IF pools with 64-channel heads; narrow test encoders get 8-channel heads.
    static int PoolingHeads(int textDim) =>
        textDim % 64 == 0 ? textDim / 64 : textDim % 8 == 0 ? textDim / 8 : 1;

    static bool IsPowerOfTwo(int n) => n > 0 && (n & (n - 1)) == 0;
}
