using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Networks;

/// <summary>
/// Counts the floating-point operations of one forward pass, as 2 x multiply-adds, by running
/// it once with hooks on the layers that do the work. Counted: every convolution
/// (2 * C_in * k_h * k_w per output element), every linear layer (2 * in_features per
/// output element), and the two attention products, QK^T and softmax(...)V, of the joint
/// text/self attention and of the text pooling (2 * queries * keys * channels each). Not
/// counted: biases, normalisations, activations, softmax, additions, pooling and nearest
/// upsampling, the sinusoidal projection: together a few percent at most.
/// </summary>
public static class UNetFlops
{
    /// <param name="sampleShape">[B, in_channels, H, W] of the sample.</param>
    /// <param name="textLength">Tokens of the text states (their width is the config's).</param>
    /// <remarks>Runs one real forward pass with zero inputs on the model's device and dtype, without gradients.</remarks>
    public static long CountForward(UNet2DConditionModel model, long[] sampleShape, int textLength)
    {
        long total = 0;
        var removers = new List<Action>();
        foreach (var module in model.modules())
        {
            switch (module)
            {
                case ChannelsLastConv2d conv:
                    removers.Add(conv.register_forward_hook((m, input, output) =>
                    {
                        var w = conv.Weight.shape;   // [out, in, kh, kw]
                        total += 2 * w[1] * w[2] * w[3] * output.numel();
                        return output;
                    }).remove);
                    break;
                case Linear linear:
                    removers.Add(linear.register_forward_hook((m, input, output) =>
                    {
                        total += 2 * linear.weight.shape[1] * output.numel();
                        return output;
                    }).remove);
                    break;
                case AddedKVAttention attention:
                    removers.Add(attention.register_forward_hook((m, x, text, output) =>
                    {
                        var queries = x.shape[2] * x.shape[3];
                        var keys = text.States.shape[1] + (attention.AttendsToSelf ? queries : 0);
                        total += 2 * 2 * x.shape[0] * queries * keys * attention.InnerDim;
                        return output;
                    }).remove);
                    break;
                case AttentionPooling pooling:
                    removers.Add(pooling.register_forward_hook((m, x, mask, output) =>
                    {
                        total += 2 * 2 * x.shape[0] * 1 * (x.shape[1] + 1) * pooling.Dim;   // one query, L + 1 keys
                        return output;
                    }).remove);
                    break;
            }
        }

        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var c = model.Config;
            var (device, dtype) = (model.parameters().First().device, model.parameters().First().dtype);
            var batch = sampleShape[0];
            model.call(
                zeros(sampleShape, dtype, device),
                zeros(batch, ScalarType.Int64, device),
                zeros([batch, textLength, c.TextStatesDim], dtype, device),
                null,
                c.ClassEmbedType is null ? null : zeros(batch, ScalarType.Int64, device));
        }
        finally
        {
            foreach (var remove in removers) remove();
        }
        return total;
    }
}
