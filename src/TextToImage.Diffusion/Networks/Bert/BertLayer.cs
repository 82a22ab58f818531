using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TextToImage.Diffusion.Networks.Bert;

/// <summary>
/// One transformer layer, post-norm as BERT: attention, then GELU (erf) feed-forward, each added to
/// its input and LayerNorm-ed. Submodule names are Hugging Face's (attention.self.query,
/// attention.output.dense, intermediate.dense, output.LayerNorm, ...).
/// </summary>
public sealed class BertLayer : nn.Module<Tensor, Tensor, Tensor>
{
    readonly BertAttention attention;
    readonly BertIntermediate intermediate;
    readonly BertResidualOutput output;

    public BertLayer(BertConfig config) : base(nameof(BertLayer))
    {
        attention = new BertAttention(config);
        intermediate = new BertIntermediate(config);
        output = new BertResidualOutput(config.IntermediateSize, config);
        RegisterComponents();
    }

    /// <param name="hidden">[B, L, D].</param>
    /// <param name="keyMask">[B, 1, 1, L], true where a key is a real token.</param>
    public override Tensor forward(Tensor hidden, Tensor keyMask)
    {
        var attended = attention.call(hidden, keyMask);
        return output.call(intermediate.call(attended), attended);
    }
}

/// <summary>Multi-head self-attention (<c>self</c>) and its projection back with residual and norm (<c>output</c>).</summary>
public sealed class BertAttention : nn.Module<Tensor, Tensor, Tensor>
{
    readonly BertSelfAttention self;
    readonly BertResidualOutput output;

    public BertAttention(BertConfig config) : base(nameof(BertAttention))
    {
        self = new BertSelfAttention(config);
        output = new BertResidualOutput(config.HiddenSize, config);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor keyMask) => output.call(self.call(hidden, keyMask), hidden);
}

/// <summary>query/key/value projections and scaled dot-product attention over the real tokens.</summary>
public sealed class BertSelfAttention : nn.Module<Tensor, Tensor, Tensor>
{
    readonly Linear query;
    readonly Linear key;
    readonly Linear value;
    readonly int heads;

    public BertSelfAttention(BertConfig config) : base(nameof(BertSelfAttention))
    {
        if (config.HiddenSize % config.NumAttentionHeads != 0)
            throw new ArgumentException($"Hidden size {config.HiddenSize} is not a multiple of {config.NumAttentionHeads} heads.");
        query = Layers.Linear(config.HiddenSize, config.HiddenSize);
        key = Layers.Linear(config.HiddenSize, config.HiddenSize);
        value = Layers.Linear(config.HiddenSize, config.HiddenSize);
        heads = config.NumAttentionHeads;
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor keyMask)
    {
        var (batch, length, width) = (hidden.shape[0], hidden.shape[1], hidden.shape[2]);
        Tensor Split(Linear projection) => projection.call(hidden).view(batch, length, heads, width / heads).transpose(1, 2);
        // Every row has at least [CLS] as a real key, so no softmax row is fully masked.
        var attended = F.scaled_dot_product_attention(Split(query), Split(key), Split(value), keyMask);
        return attended.transpose(1, 2).reshape(batch, length, width);
    }
}

/// <summary>Linear to the hidden width, GELU (erf, as BERT's "gelu").</summary>
public sealed class BertIntermediate : nn.Module<Tensor, Tensor>
{
    readonly Linear dense;

    public BertIntermediate(BertConfig config) : base(nameof(BertIntermediate))
    {
        dense = Layers.Linear(config.HiddenSize, config.IntermediateSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden) => F.gelu(dense.call(hidden));
}

/// <summary>BERT's SelfOutput and Output (the same computation): LayerNorm(dense(x) + residual).</summary>
public sealed class BertResidualOutput : nn.Module<Tensor, Tensor, Tensor>
{
    readonly Linear dense;
    readonly LayerNorm LayerNorm;

    public BertResidualOutput(int inFeatures, BertConfig config) : base(nameof(BertResidualOutput))
    {
        dense = Layers.Linear(inFeatures, config.HiddenSize);
        LayerNorm = Layers.LayerNorm(config.HiddenSize, config.LayerNormEps);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor residual) => LayerNorm.call(dense.call(hidden) + residual);
}
