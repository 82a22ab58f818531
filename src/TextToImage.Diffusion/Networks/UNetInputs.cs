using static TorchSharp.torch;

namespace TextToImage.Diffusion.Networks;

/// <summary>Checks the forward inputs of a <see cref="UNet2DConditionModel"/> so mistakes fail with a sentence, not a shape error deep inside.</summary>
static class UNetInputs
{
    public static void Check(UNet2DConditionModel model, Tensor sample, Tensor text, Tensor? mask, Tensor? classLabels)
    {
        var c = model.Config;
        if (sample.Dimensions != 4 || sample.shape[1] != c.InChannels)
            throw new ArgumentException($"sample must be [B, {c.InChannels}, H, W]; got [{Shape(sample)}].", nameof(sample));
        var factor = 1L << (c.Levels - 1);
        if (sample.shape[2] % factor != 0 || sample.shape[3] % factor != 0)
            throw new ArgumentException($"sample height and width must be multiples of {factor} for {c.Levels} levels; got [{Shape(sample)}].", nameof(sample));
        var batch = sample.shape[0];
        if (text.Dimensions != 3 || text.shape[0] != batch || text.shape[2] != c.TextStatesDim)
            throw new ArgumentException($"encoderHiddenStates must be [{batch}, L, {c.TextStatesDim}]; got [{Shape(text)}].", "encoderHiddenStates");
        if (mask is not null && (mask.Dimensions != 2 || mask.shape[0] != batch || mask.shape[1] != text.shape[1]))
            throw new ArgumentException($"encoderAttentionMask must be [{batch}, {text.shape[1]}]; got [{Shape(mask)}].", "encoderAttentionMask");
        if (c.ClassEmbedType is not null && classLabels is null)
            throw new ArgumentException($"class_embed_type = \"{c.ClassEmbedType}\": classLabels (the noise level of the conditioning image) are required.", nameof(classLabels));
        if (c.ClassEmbedType is null && classLabels is not null)
            throw new ArgumentException("classLabels were given but the config has no class_embed_type.", nameof(classLabels));
    }

    /// <summary>A scalar or one-element tensor stands for the whole batch.</summary>
    public static Tensor PerSample(Tensor values, long batch)
    {
        if (values.numel() == 1) return values.reshape(1).expand(batch);
        if (values.Dimensions == 1 && values.shape[0] == batch) return values;
        throw new ArgumentException($"timesteps and class labels must be a scalar or [{batch}]; got [{Shape(values)}].");
    }

    static string Shape(Tensor t) => string.Join(", ", t.shape);
}
