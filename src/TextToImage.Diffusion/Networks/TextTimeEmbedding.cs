using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TextToImage.Diffusion.Networks;

/// <summary>
/// diffusers' <c>TextTimeEmbedding</c> (addition_embed_type "text"): the pooled text that
/// conditions the whole network through the time embedding. norm1, attention pooling, proj, norm2.
/// </summary>
public sealed class TextTimeEmbedding : nn.Module<Tensor, Tensor?, Tensor>
{
    readonly LayerNorm norm1;
    readonly AttentionPooling pool;
    readonly Linear proj;
    readonly LayerNorm norm2;

    public TextTimeEmbedding(long encoderDim, long timeEmbedDim, long numHeads) : base(nameof(TextTimeEmbedding))
    {
        norm1 = Layers.LayerNorm(encoderDim);
        pool = new AttentionPooling(numHeads, encoderDim);
        proj = Layers.Linear(encoderDim, timeEmbedDim);
        norm2 = Layers.LayerNorm(timeEmbedDim);
        RegisterComponents();
    }

    /// <summary>states [B, L, D], mask [B, L] bool or null -> [B, time_embed_dim].</summary>
    public override Tensor forward(Tensor states, Tensor? mask) =>
        norm2.call(proj.call(pool.call(norm1.call(states), mask)));
}

/// <summary>
/// IF's attention pooling: a query made from the mean token (plus a learned position) attends
/// over [mean token; tokens]. With a mask, the mean and the keys use the real tokens only
/// (diffusers and IF pool over every token: pass no mask to reproduce them exactly).
/// </summary>
public sealed class AttentionPooling : nn.Module<Tensor, Tensor?, Tensor>
{
    readonly Parameter positional_embedding;
    readonly Linear k_proj;
    readonly Linear q_proj;
    readonly Linear v_proj;

    public AttentionPooling(long numHeads, long dim) : base(nameof(AttentionPooling))
    {
        if (dim % numHeads != 0) throw new ArgumentException($"{numHeads} pooling heads do not divide {dim} channels.");
        Heads = numHeads;
        Dim = dim;
        positional_embedding = Layers.RandomParameter([1, dim], 1 / Math.Sqrt(dim));
        k_proj = Layers.Linear(dim, dim);
        q_proj = Layers.Linear(dim, dim);
        v_proj = Layers.Linear(dim, dim);
        RegisterComponents();
    }

    public long Heads { get; }
    public long Dim { get; }

    public override Tensor forward(Tensor x, Tensor? mask)
    {
        var (b, length) = (x.shape[0], x.shape[1]);
        var mean = mask is null ? x.mean([1], keepdim: true) : MaskedMean(x, mask);
        var classToken = mean + positional_embedding.to(x.dtype);
        var tokens = cat([classToken, x], dim: 1);

        var keyMask = mask is null ? null
            : cat([ones(b, 1, ScalarType.Bool, x.device), mask], dim: 1).view(b, 1, 1, length + 1);
        var pooled = F.scaled_dot_product_attention(
            SplitHeads(q_proj.call(classToken)), SplitHeads(k_proj.call(tokens)), SplitHeads(v_proj.call(tokens)), keyMask);
        return pooled.transpose(1, 2).reshape(b, Dim);
    }

    static Tensor MaskedMean(Tensor x, Tensor mask)
    {
        var weights = mask.to(x.dtype).unsqueeze(-1);
        return (x * weights).sum([1], keepdim: true) / weights.sum([1], keepdim: true).clamp_min(1);
    }

    Tensor SplitHeads(Tensor t) => t.view(t.shape[0], t.shape[1], Heads, Dim / Heads).transpose(1, 2);
}
