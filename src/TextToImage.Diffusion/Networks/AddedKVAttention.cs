using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TextToImage.Diffusion.Networks;

/// <summary>
/// diffusers' <c>Attention</c> with the added-KV processor, the attention layer of IF's
/// SimpleCrossAttn blocks: the image attends jointly to the text and to itself, its keys and
/// values being cat(add_k_proj(norm_cross(text)), to_k(group_norm(x))). Residual included.
/// </summary>
public sealed class AddedKVAttention : nn.Module<Tensor, TextContext, Tensor>
{
    readonly GroupNorm2d group_norm;
    readonly GroupNorm2d? norm_cross;
    readonly Linear to_q;
    readonly Linear? to_k;
    readonly Linear? to_v;
    readonly Linear add_k_proj;
    readonly Linear add_v_proj;
    readonly ModuleList<Linear> to_out;

    public AddedKVAttention(long channels, AttentionSettings s) : base(nameof(AddedKVAttention))
    {
        if (channels % s.HeadDim != 0)
            throw new ArgumentException($"attention_head_dim {s.HeadDim} does not divide {channels} channels.");
        Heads = channels / s.HeadDim;
        InnerDim = channels;
        group_norm = Layers.GroupNorm(s.Groups, channels, 1e-5);
        // diffusers fixes 32 groups and eps 1e-5 here, whatever norm_num_groups says.
        if (s.NormCross) norm_cross = Layers.GroupNorm(CrossNormGroups, s.TextChannels, CrossNormEps);
        to_q = Layers.Linear(channels, channels);
        if (!s.OnlyCrossAttention)
        {
            to_k = Layers.Linear(channels, channels);
            to_v = Layers.Linear(channels, channels);
        }
        add_k_proj = Layers.Linear(s.TextChannels, channels);
        add_v_proj = Layers.Linear(s.TextChannels, channels);
        to_out = new ModuleList<Linear>(Layers.Linear(channels, channels));
        RegisterComponents();
    }

    const int CrossNormGroups = 32;
    const double CrossNormEps = 1e-5;

    public long Heads { get; }
    public long InnerDim { get; }

    /// <summary>Whether the image's own tokens are keys too (not only_cross_attention).</summary>
    public bool AttendsToSelf => to_k is not null;

    public override Tensor forward(Tensor x, TextContext text)
    {
        var (b, c, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
        var pixels = height * width;
        var h = group_norm.call(x.reshape(b, c, pixels)).transpose(1, 2);                 // [B, N, C]
        var states = NormCross(text.States, text.Mask);

        var key = SplitHeads(add_k_proj.call(states));
        var value = SplitHeads(add_v_proj.call(states));
        if (to_k is not null && to_v is not null)
        {
            key = cat([key, SplitHeads(to_k.call(h))], dim: 2);
            value = cat([value, SplitHeads(to_v.call(h))], dim: 2);
        }

        var o = F.scaled_dot_product_attention(SplitHeads(to_q.call(h)), key, value, KeyMask(text.Mask, b, pixels));
        o = to_out[0].call(o.transpose(1, 2).reshape(b, pixels, c));
        return o.transpose(1, 2).reshape(b, c, height, width) + x;
    }

    /// <summary>
    /// norm_cross: GroupNorm over the text, whose statistics span a group's channels and all
    /// tokens. Without a mask that is diffusers' computation; with one, padding must not shift
    /// the real tokens, so the statistics are taken over the real tokens only.
    /// </summary>
    Tensor NormCross(Tensor states, Tensor? mask)
    {
        if (norm_cross is null) return states;
        if (mask is null) return norm_cross.call(states.transpose(1, 2)).transpose(1, 2);

        var (b, length, d) = (states.shape[0], states.shape[1], states.shape[2]);
        var grouped = states.to(ScalarType.Float32).reshape(b, length, CrossNormGroups, d / CrossNormGroups);
        var weights = mask.to(ScalarType.Float32).view(b, length, 1, 1);
        var count = (weights.sum([1], keepdim: true) * (d / CrossNormGroups)).clamp_min(1);
        var mean = (grouped * weights).sum([1, 3], keepdim: true) / count;
        var variance = ((grouped - mean).square() * weights).sum([1, 3], keepdim: true) / count;
        var normed = ((grouped - mean) / (variance + CrossNormEps).sqrt()).reshape(b, length, d).to(states.dtype);
        return normed * norm_cross.Weight + norm_cross.Bias;
    }

    // [B, T, C] -> [B, heads, T, head_dim]
    Tensor SplitHeads(Tensor t) => t.view(t.shape[0], t.shape[1], Heads, InnerDim / Heads).transpose(1, 2);

    // Text keys follow the mask; the image's own keys are always visible, so no row is ever empty
    // (with only_cross_attention a prompt needs at least one real token).
    Tensor? KeyMask(Tensor? textMask, long batch, long pixels)
    {
        if (textMask is null) return null;
        var keys = AttendsToSelf ? cat([textMask, ones(batch, pixels, ScalarType.Bool, textMask.device)], dim: 1) : textMask;
        return keys.view(batch, 1, 1, -1);
    }
}
