using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Networks;

/// <summary>
/// diffusers' <c>UNet2DConditionModel</c> for the block families IF uses: the
/// text-conditioned noise predictor of every cascade stage. Submodule names are the
/// checkpoint keys, so a diffusers state dict loads without a mapping table.
/// </summary>
public sealed class UNet2DConditionModel : nn.Module<Tensor, Tensor, Tensor, Tensor?, Tensor?, Tensor>
{
    readonly ChannelsLastConv2d conv_in;
    readonly TimestepEmbedding time_embedding;
    readonly TimestepEmbedding? class_embedding;
    readonly Linear? encoder_hid_proj;
    readonly TextTimeEmbedding? add_embedding;
    readonly ModuleList<UNetDownBlock> down_blocks;
    readonly UNetMidBlock? mid_block;
    readonly ModuleList<UNetUpBlock> up_blocks;
    readonly GroupNorm2d conv_norm_out;
    readonly ChannelsLastConv2d conv_out;
    readonly Func<Tensor, Tensor> act;
    readonly Func<Tensor, Tensor>? timeEmbedAct;

    public UNet2DConditionModel(UNet2DConditionConfig config) : base(nameof(UNet2DConditionModel))
    {
        config.Validate();
        Config = config;
        var c = config;
        var width = c.BlockOutChannels[0];
        conv_in = Layers.Conv2d(c.InChannels, width, c.ConvInKernel, padding: (c.ConvInKernel - 1) / 2);
        time_embedding = new TimestepEmbedding(width, c.TimeEmbedDim, c.ActFn, c.TimestepPostAct);
        if (c.ClassEmbedType == "timestep") class_embedding = new TimestepEmbedding(width, c.TimeEmbedDim, c.ActFn);
        if (c.EncoderHidProjection == "text_proj") encoder_hid_proj = Layers.Linear(c.EncoderHidDim!.Value, c.CrossAttentionDim);
        if (c.AdditionEmbedType == "text") add_embedding = new TextTimeEmbedding(c.TextStatesDim, c.TimeEmbedDim, c.AdditionEmbedTypeNumHeads);
        down_blocks = new(UNetBlocks.DownPath(c));
        mid_block = UNetBlocks.Mid(c);
        up_blocks = new(UNetBlocks.UpPath(c));
        conv_norm_out = Layers.GroupNorm(c.NormNumGroups!.Value, width, c.NormEps);
        conv_out = Layers.Conv2d(width, c.OutChannels, c.ConvOutKernel, padding: (c.ConvOutKernel - 1) / 2);
        act = Layers.Activation(c.ActFn);
        timeEmbedAct = c.TimeEmbeddingActFn is null ? null : Layers.Activation(c.TimeEmbeddingActFn);
        RegisterComponents();
    }

    public UNet2DConditionConfig Config { get; }

    /// <summary>
    /// Predicts the model output (epsilon, plus variance channels where out_channels says so).
    /// </summary>
    /// <param name="sample">[B, in_channels, H, W]; H and W divisible by 2^(levels-1). Cast to the model's dtype.</param>
    /// <param name="timestep">[B] or a scalar for the whole batch; may be fractional.</param>
    /// <param name="encoderHiddenStates">Text states [B, L, encoder_hid_dim or cross_attention_dim].</param>
    /// <param name="encoderAttentionMask">[B, L], bool or 0/1, true = real token; null = every token is real
    /// (which is what diffusers' IF pipelines do).</param>
    /// <param name="classLabels">[B] (or scalar) noise-augmentation levels; required exactly when class_embed_type is set.</param>
    public override Tensor forward(Tensor sample, Tensor timestep, Tensor encoderHiddenStates,
        Tensor? encoderAttentionMask = null, Tensor? classLabels = null)
    {
        UNetInputs.Check(this, sample, encoderHiddenStates, encoderAttentionMask, classLabels);
        var dtype = conv_in.Weight.dtype;
        var batch = sample.shape[0];
        var x = sample.to(dtype);
        if (Config.CenterInputSample) x = x * 2 - 1;
        var states = encoderHiddenStates.to(dtype);
        var mask = encoderAttentionMask?.to(ScalarType.Bool);

        // 1. Time embedding, plus the noise level of the conditioning image and the pooled text.
        var emb = time_embedding.call(Project(UNetInputs.PerSample(timestep, batch), dtype));
        if (class_embedding is not null) emb = emb + class_embedding.call(Project(UNetInputs.PerSample(classLabels!, batch), dtype));
        if (add_embedding is not null) emb = emb + add_embedding.call(states, mask);
        if (timeEmbedAct is not null) emb = timeEmbedAct(emb);

        // 2. The text as the attention layers read it.
        var text = new TextContext(encoder_hid_proj is null ? states : encoder_hid_proj.call(states), mask);

        // 3. Down, keeping every intermediate state as a skip connection.
        var hidden = conv_in.call(x);
        var skips = new List<Tensor> { hidden };
        foreach (var block in down_blocks)
        {
            var output = block.call(hidden, emb, text);
            hidden = output.Hidden;
            skips.AddRange(output.Skips);
        }

        // 4. Middle.
        if (mid_block is not null) hidden = mid_block.call(hidden, emb, text);

        // 5. Up, each block taking the most recent skips, one per residual block.
        foreach (var block in up_blocks)
        {
            var taken = skips.GetRange(skips.Count - block.SkipCount, block.SkipCount);
            skips.RemoveRange(skips.Count - block.SkipCount, block.SkipCount);
            hidden = block.call(hidden, taken, emb, text);
        }

        // 6. Out.
        return conv_out.call(act(conv_norm_out.call(hidden)));
    }

    /// <summary>Total learned parameters.</summary>
    public long ParameterCount() => parameters().Sum(p => p.numel());

    // The sinusoid in float32 (bf16 cannot tell t = 999 from 1000), then the model's dtype.
    Tensor Project(Tensor steps, ScalarType dtype) =>
        Timesteps.Project(steps, Config.BlockOutChannels[0], Config.FlipSinToCos, Config.FreqShift).to(dtype);
}
