using System.Text.Json;

namespace TextToImage.Diffusion.Networks;

/// <summary>
/// Says, before anything is built, why a config cannot be: an unsupported value
/// (<see cref="NotSupportedException"/>) or values that do not fit together
/// (<see cref="ArgumentException"/>). Every message names the config key and its value.
/// </summary>
static class UNetConfigValidation
{
    public static void Check(UNet2DConditionConfig c)
    {
        OneOf("_class_name", c.ClassName, ["UNet2DConditionModel"]);
        if (c.Levels == 0) throw Mismatch("block_out_channels", c.BlockOutChannels, "needs at least one level");
        OnePerLevel("down_block_types", c.DownBlockTypes, c.Levels);
        OnePerLevel("up_block_types", c.UpBlockTypes, c.Levels);
        PerLevel("layers_per_block", c.LayersPerBlock, c.Levels);
        PerLevel("attention_head_dim", c.AttentionHeadDim, c.Levels);
        PerLevel("only_cross_attention", c.OnlyCrossAttention, c.Levels);
        for (var i = 0; i < c.Levels; i++)
        {
            OneOf($"down_block_types[{i}]", UNetBlocks.Canonical(c.DownBlockTypes[i]), UNetBlocks.DownBlockTypes);
            OneOf($"up_block_types[{i}]", UNetBlocks.Canonical(c.UpBlockTypes[i]), UNetBlocks.UpBlockTypes);
            if (c.LayersAt(i) < 1) throw Mismatch("layers_per_block", c.LayersPerBlock, "every level needs at least one layer");
        }
        if (c.MidBlockType is not null) OneOf("mid_block_type", c.MidBlockType, UNetBlocks.MidBlockTypes);

        OneOf("act_fn", c.ActFn, Layers.ActivationNames);
        if (c.TimeEmbeddingActFn is not null) OneOf("time_embedding_act_fn", c.TimeEmbeddingActFn, Layers.ActivationNames);
        if (c.TimestepPostAct is not null) OneOf("timestep_post_act", c.TimestepPostAct, Layers.ActivationNames);
        OneOf("resnet_time_scale_shift", c.ResnetTimeScaleShift, ["default", "scale_shift"]);
        OneOf("time_embedding_type", c.TimeEmbeddingType, ["positional"]);
        if (c.ClassEmbedType is not null) OneOf("class_embed_type", c.ClassEmbedType, ["timestep"]);
        if (c.AdditionEmbedType is not null) OneOf("addition_embed_type", c.AdditionEmbedType, ["text"]);
        if (c.EncoderHidDimType is not null) OneOf("encoder_hid_dim_type", c.EncoderHidDimType, ["text_proj"]);
        if (c.CrossAttentionNorm is not null) OneOf("cross_attention_norm", c.CrossAttentionNorm, ["group_norm"]);
        Unset("num_attention_heads", c.NumAttentionHeads);
        Unset("num_class_embeds", c.NumClassEmbeds);
        Unset("time_cond_proj_dim", c.TimeCondProjDim);
        if (c.ClassEmbeddingsConcat) throw Unsupported("class_embeddings_concat", true, "false");
        if (c.NormNumGroups is null) throw Unsupported("norm_num_groups", null, "a group count");

        CheckSizes(c);
    }

    static void CheckSizes(UNet2DConditionConfig c)
    {
        var groups = c.NormNumGroups!.Value;
        foreach (var channels in c.BlockOutChannels)
            if (channels <= 0 || channels % groups != 0)
                throw Mismatch("block_out_channels", c.BlockOutChannels, $"every width must be a multiple of norm_num_groups = {groups}");
        if (c.EncoderHidDimType is not null && c.EncoderHidDim is null)
            throw Mismatch("encoder_hid_dim_type", c.EncoderHidDimType, "needs encoder_hid_dim");
        if (c.ConvInKernel % 2 == 0) throw Unsupported("conv_in_kernel", c.ConvInKernel, "an odd size");
        if (c.ConvOutKernel % 2 == 0) throw Unsupported("conv_out_kernel", c.ConvOutKernel, "an odd size");
        if (c.AdditionEmbedType is not null && c.TextStatesDim % c.AdditionEmbedTypeNumHeads != 0)
            throw Mismatch("addition_embed_type_num_heads", c.AdditionEmbedTypeNumHeads, $"must divide the text width {c.TextStatesDim}");

        var attends = false;
        for (var i = 0; i < c.Levels; i++)
        {
            var upChannels = c.BlockOutChannels[c.Levels - 1 - i];
            if (UNetBlocks.HasAttention(c.DownBlockTypes[i])) { attends = true; HeadsFit(c, i, c.BlockOutChannels[i]); }
            if (UNetBlocks.HasAttention(c.UpBlockTypes[i])) { attends = true; HeadsFit(c, i, upChannels); }
        }
        if (c.MidBlockType is not null && UNetBlocks.HasAttention(c.MidBlockType))
        {
            attends = true;
            HeadsFit(c, c.Levels - 1, c.BlockOutChannels[^1]);
        }
        if (attends && c.CrossAttentionNorm == "group_norm" && c.CrossAttentionDim % 32 != 0)
            throw Mismatch("cross_attention_dim", c.CrossAttentionDim, "must be a multiple of 32 with cross_attention_norm = group_norm (diffusers uses 32 groups)");
    }

    static void HeadsFit(UNet2DConditionConfig c, int index, int channels)
    {
        var headDim = c.HeadDimAt(index);
        if (headDim <= 0 || channels % headDim != 0)
            throw Mismatch("attention_head_dim", c.AttentionHeadDim, $"{headDim} must divide the {channels} channels of an attention level");
    }

    static void OnePerLevel(string key, string[] types, int levels)
    {
        if (types.Length != levels) throw Mismatch(key, types, $"needs one entry per level of block_out_channels ({levels})");
    }

    static void PerLevel<T>(string key, T[] values, int levels)
    {
        if (values.Length != 1 && values.Length != levels)
            throw Mismatch(key, values, $"needs one value or one per level ({levels} levels)");
    }

    static void OneOf(string key, string value, IEnumerable<string> supported)
    {
        if (!supported.Contains(value)) throw Unsupported(key, value, string.Join(", ", supported));
    }

    static void Unset(string key, object? value)
    {
        if (value is not null) throw Unsupported(key, value, "null");
    }

    static NotSupportedException Unsupported(string key, object? value, string supported) =>
        new($"UNet config: {key} = {Show(value)} is not supported (supported: {supported}).");

    static ArgumentException Mismatch(string key, object? value, string why) =>
        new($"UNet config: {key} = {Show(value)} {why}.");

    static string Show(object? value) => JsonSerializer.Serialize(value);
}
