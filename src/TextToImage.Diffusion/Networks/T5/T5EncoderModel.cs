using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Networks.T5;

/// <summary>
/// transformers' T5EncoderModel for T5 v1.1 (inference only): token ids and mask in, last hidden state out.
/// Pre-norm blocks with RMSNorm (no mean subtraction, no bias), unscaled dot-product attention plus a
/// relative position bias that block 0 computes from bucketed distances and every block shares, a
/// GELU-gated feed-forward, no absolute positions. Parameter names are transformers' (<c>shared.weight</c>,
/// <c>encoder.block.N.layer.0.SelfAttention.q.weight</c>, ..., <c>encoder.final_layer_norm.weight</c>), the
/// casing of <c>SelfAttention</c> and <c>DenseReluDense</c> included, so checkpoints load without a mapping.
/// </summary>
public sealed class T5EncoderModel : nn.Module<Tensor, Tensor, Tensor>
{
    readonly Embedding shared;
    readonly T5Stack encoder;

    /// <summary>
    /// Built directly in <paramref name="dtype"/> (t5-v1_1-xxl is 19 GB in float32: no float32 copy first).
    /// float16 as transformers runs it: every weight in float16 except the feed-forward's output projections
    /// (<c>wo</c>), which stay float32 (T5's <c>_keep_in_fp32_modules</c>: their products overflow float16), so
    /// the residual stream is float32 after each block's feed-forward; and float16 infinities are clamped after
    /// each sub-layer as T5Block does.
    /// </summary>
    public T5EncoderModel(T5Config config, ScalarType dtype = ScalarType.Float32) : base(nameof(T5EncoderModel))
    {
        Config = config;
        shared = nn.Embedding(config.VocabSize, config.DModel, dtype: dtype);
        encoder = new T5Stack(config, dtype);
        RegisterComponents();
    }

    public T5Config Config { get; }

    /// <param name="inputIds">[B, L] int64 token ids.</param>
    /// <param name="mask">[B, L], nonzero for real tokens.</param>
    /// <returns>[B, L, d_model], after the final RMSNorm.</returns>
    public override Tensor forward(Tensor inputIds, Tensor mask) => encoder.call(shared.call(inputIds), mask);
}

/// <summary>The encoder stack (<c>encoder.block.N</c>, <c>encoder.final_layer_norm</c>).</summary>
public sealed class T5Stack : nn.Module<Tensor, Tensor, Tensor>
{
    readonly ModuleList<T5Block> block;
    readonly T5LayerNorm final_layer_norm;

    public T5Stack(T5Config config, ScalarType dtype) : base(nameof(T5Stack))
    {
        block = nn.ModuleList(Enumerable.Range(0, config.NumLayers).Select(i => new T5Block(config, hasRelativeAttentionBias: i == 0, dtype)).ToArray());
        final_layer_norm = new T5LayerNorm(config.DModel, config.LayerNormEpsilon, dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor embedded, Tensor mask)
    {
        var dtype = embedded.dtype;
        // transformers' additive mask: 0 over real keys, the dtype's lowest value over padding.
        var additiveMask = (1.0 - mask.to_type(dtype)[.., TensorIndex.None, TensorIndex.None, ..]) * torch.finfo(dtype).min;
        // Block 0 owns the relative position table; its bias (mask included) is every later block's too.
        var positionBias = block[0].Attention.PositionBias(embedded.shape[1], embedded.device) + additiveMask;
        var hidden = embedded;
        foreach (var b in block) hidden = b.call(hidden, positionBias);
        return final_layer_norm.call(hidden);
    }
}

/// <summary>One block: <c>layer.0</c> self-attention, <c>layer.1</c> feed-forward, each pre-normed and residual.</summary>
public sealed class T5Block : nn.Module<Tensor, Tensor, Tensor>
{
    readonly ModuleList<nn.Module> layer;

    public T5Block(T5Config config, bool hasRelativeAttentionBias, ScalarType dtype) : base(nameof(T5Block))
    {
        layer = nn.ModuleList<nn.Module>(new T5LayerSelfAttention(config, hasRelativeAttentionBias, dtype), new T5LayerFF(config, dtype));
        RegisterComponents();
    }

    T5LayerSelfAttention SelfAttentionLayer => (T5LayerSelfAttention)layer[0];
    T5LayerFF FeedForwardLayer => (T5LayerFF)layer[1];

    internal T5Attention Attention => SelfAttentionLayer.Attention;

    public override Tensor forward(Tensor hidden, Tensor positionBias)
    {
        hidden = ClampFloat16(SelfAttentionLayer.call(hidden, positionBias));
        return ClampFloat16(FeedForwardLayer.call(hidden));
    }

    /// <summary>T5Block's float16 guard: clamp to the largest finite value (1000 below it once an infinity appeared).</summary>
    static Tensor ClampFloat16(Tensor hidden)
    {
        if (hidden.dtype != ScalarType.Float16) return hidden;
        var max = torch.finfo(ScalarType.Float16).max;
        var limit = hidden.isinf().any().item<bool>() ? max - 1000 : max;
        return hidden.clamp(-limit, limit);
    }
}

/// <summary><c>layer.0</c>: RMSNorm, self-attention, residual.</summary>
public sealed class T5LayerSelfAttention : nn.Module<Tensor, Tensor, Tensor>
{
    // transformers' casing, so the parameter names match its checkpoints.
    readonly T5Attention SelfAttention;
    readonly T5LayerNorm layer_norm;

    public T5LayerSelfAttention(T5Config config, bool hasRelativeAttentionBias, ScalarType dtype) : base(nameof(T5LayerSelfAttention))
    {
        SelfAttention = new T5Attention(config, hasRelativeAttentionBias, dtype);
        layer_norm = new T5LayerNorm(config.DModel, config.LayerNormEpsilon, dtype);
        RegisterComponents();
    }

    internal T5Attention Attention => SelfAttention;

    public override Tensor forward(Tensor hidden, Tensor positionBias) => hidden + SelfAttention.call(layer_norm.call(hidden), positionBias);
}

/// <summary>Multi-head attention without the 1/sqrt(d) scale (T5 folds it into its initialisation), plus the shared position bias.</summary>
public sealed class T5Attention : nn.Module<Tensor, Tensor, Tensor>
{
    readonly Linear q, k, v, o;
    readonly Embedding? relative_attention_bias;
    readonly int heads, headDim, buckets, maxDistance;

    public T5Attention(T5Config config, bool hasRelativeAttentionBias, ScalarType dtype) : base(nameof(T5Attention))
    {
        heads = config.NumHeads;
        headDim = config.DKv;
        buckets = config.RelativeAttentionNumBuckets;
        maxDistance = config.RelativeAttentionMaxDistance;
        var inner = heads * headDim;
        q = nn.Linear(config.DModel, inner, hasBias: false, dtype: dtype);
        k = nn.Linear(config.DModel, inner, hasBias: false, dtype: dtype);
        v = nn.Linear(config.DModel, inner, hasBias: false, dtype: dtype);
        o = nn.Linear(inner, config.DModel, hasBias: false, dtype: dtype);
        if (hasRelativeAttentionBias) relative_attention_bias = nn.Embedding(buckets, heads, dtype: dtype);
        RegisterComponents();
    }

    /// <summary>[1, heads, L, L]: the learned bias of each (query, key) pair's distance bucket.</summary>
    internal Tensor PositionBias(long length, Device device)
    {
        if (relative_attention_bias is null) throw new InvalidOperationException("Only block 0 of a T5 encoder has the relative position table.");
        using var scope = NewDisposeScope();
        var positions = arange(length, ScalarType.Int64, device);
        var relative = positions[TensorIndex.None, ..] - positions[.., TensorIndex.None];   // key - query
        return relative_attention_bias.call(Bucket(relative)).permute(2, 0, 1).unsqueeze(0).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Mesh TensorFlow's bidirectional buckets, in transformers' float32 arithmetic (so boundaries land
    /// identically): half the buckets per direction; within one, exact distances below a quarter of all
    /// buckets, logarithmic bins above, everything at or past max_distance in the last.
    /// </summary>
    Tensor Bucket(Tensor relative)
    {
        var half = buckets / 2;
        var maxExact = half / 2;
        var side = (relative > 0).to_type(ScalarType.Int64) * half;
        var distance = relative.abs();
        var large = maxExact + (log(distance.to_type(ScalarType.Float32) / maxExact) / Math.Log((double)maxDistance / maxExact) * (half - maxExact)).to_type(ScalarType.Int64);
        large = large.clamp_max(half - 1);
        return side + where(distance < maxExact, distance, large);
    }

    public override Tensor forward(Tensor hidden, Tensor positionBias)
    {
        var (batch, length) = (hidden.shape[0], hidden.shape[1]);
        Tensor Heads(Tensor x) => x.view(batch, -1, heads, headDim).transpose(1, 2);
        var scores = matmul(Heads(q.call(hidden)), Heads(k.call(hidden)).transpose(3, 2)) + positionBias;
        // Softmax in float32 whatever the weights' dtype, as transformers does.
        var weights = nn.functional.softmax(scores.to_type(ScalarType.Float32), -1).to_type(scores.dtype);
        var attended = matmul(weights, Heads(v.call(hidden))).transpose(1, 2).contiguous().view(batch, length, heads * headDim);
        return o.call(attended);
    }
}

/// <summary><c>layer.1</c>: RMSNorm, GELU-gated feed-forward (<c>DenseReluDense</c>), residual.</summary>
public sealed class T5LayerFF : nn.Module<Tensor, Tensor>
{
    readonly T5DenseGatedActDense DenseReluDense;
    readonly T5LayerNorm layer_norm;

    public T5LayerFF(T5Config config, ScalarType dtype) : base(nameof(T5LayerFF))
    {
        DenseReluDense = new T5DenseGatedActDense(config, dtype);
        layer_norm = new T5LayerNorm(config.DModel, config.LayerNormEpsilon, dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden) => hidden + DenseReluDense.call(layer_norm.call(hidden));
}

/// <summary>gelu_new(wi_0 x) * wi_1 x, then wo.</summary>
public sealed class T5DenseGatedActDense : nn.Module<Tensor, Tensor>
{
    readonly Linear wi_0, wi_1, wo;

    public T5DenseGatedActDense(T5Config config, ScalarType dtype) : base(nameof(T5DenseGatedActDense))
    {
        wi_0 = nn.Linear(config.DModel, config.DFf, hasBias: false, dtype: dtype);
        wi_1 = nn.Linear(config.DModel, config.DFf, hasBias: false, dtype: dtype);
        // float16 products of wo overflow: transformers keeps it in float32 (see T5EncoderModel).
        wo = nn.Linear(config.DFf, config.DModel, hasBias: false, dtype: dtype == ScalarType.Float16 ? ScalarType.Float32 : dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        var gated = GeluNew(wi_0.call(hidden)) * wi_1.call(hidden);
        return wo.call(gated.to_type(wo.weight!.dtype));
    }

    /// <summary>transformers' gelu_new (the tanh approximation), written as it writes it so rounding matches.</summary>
    static Tensor GeluNew(Tensor x) => 0.5 * x * (1.0 + tanh(Math.Sqrt(2.0 / Math.PI) * (x + 0.044715 * x.pow(3.0))));
}

/// <summary>T5's RMSNorm: x / sqrt(mean(x^2) + eps) computed in float32, back to the weight's dtype when it is half, times the weight.</summary>
public sealed class T5LayerNorm : nn.Module<Tensor, Tensor>
{
    readonly Parameter weight;
    readonly double epsilon;

    public T5LayerNorm(int size, double epsilon, ScalarType dtype) : base(nameof(T5LayerNorm))
    {
        weight = nn.Parameter(ones(size, dtype));
        this.epsilon = epsilon;
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        var variance = hidden.to_type(ScalarType.Float32).pow(2).mean([-1], keepdim: true);
        var normed = hidden * rsqrt(variance + epsilon);
        if (weight.dtype is ScalarType.Float16 or ScalarType.BFloat16) normed = normed.to_type(weight.dtype);
        return weight * normed;
    }
}
