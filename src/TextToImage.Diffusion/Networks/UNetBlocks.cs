namespace TextToImage.Diffusion.Networks;

/// <summary>
/// The one factory that turns the block names of a config into blocks (diffusers'
/// get_down_block / get_mid_block / get_up_block for the families we build), and the
/// per-level arithmetic of UNet2DConditionModel's constructor.
/// </summary>
public static class UNetBlocks
{
    static readonly Dictionary<string, Func<BlockSpec, UNet2DConditionConfig, UNetDownBlock>> DownFactories = new()
    {
        ["DownBlock2D"] = (spec, config) => new DownBlock2D(spec, config.DownsamplePadding),
        ["ResnetDownsampleBlock2D"] = (spec, _) => new ResnetDownsampleBlock2D(spec),
        ["SimpleCrossAttnDownBlock2D"] = (spec, _) => new SimpleCrossAttnDownBlock2D(spec),
    };

    static readonly Dictionary<string, Func<BlockSpec, UNetUpBlock>> UpFactories = new()
    {
        ["UpBlock2D"] = spec => new UpBlock2D(spec),
        ["ResnetUpsampleBlock2D"] = spec => new ResnetUpsampleBlock2D(spec),
        ["SimpleCrossAttnUpBlock2D"] = spec => new SimpleCrossAttnUpBlock2D(spec),
    };

    static readonly Dictionary<string, Func<long, ResnetSettings, AttentionSettings, UNetMidBlock>> MidFactories = new()
    {
        ["UNetMidBlock2DSimpleCrossAttn"] = (channels, resnet, attention) => new UNetMidBlock2DSimpleCrossAttn(channels, resnet, attention),
        ["UNetMidBlock2D"] = (channels, resnet, _) => new UNetMidBlock2D(channels, resnet),
    };

    public static IReadOnlyCollection<string> DownBlockTypes => DownFactories.Keys;
    public static IReadOnlyCollection<string> UpBlockTypes => UpFactories.Keys;
    public static IReadOnlyCollection<string> MidBlockTypes => MidFactories.Keys;

    /// <summary>Blocks whose layers attend to the text (the others ignore the TextContext).</summary>
    public static bool HasAttention(string blockType) => Canonical(blockType).Contains("CrossAttn", StringComparison.Ordinal);

    /// <summary>diffusers accepts an old "UNetRes" prefix on block names.</summary>
    public static string Canonical(string blockType) =>
        blockType.StartsWith("UNetRes", StringComparison.Ordinal) ? blockType[7..] : blockType;

    public static UNetDownBlock[] DownPath(UNet2DConditionConfig c)
    {
        var channels = c.BlockOutChannels;
        return [.. Enumerable.Range(0, c.Levels).Select(i =>
        {
            var spec = new BlockSpec(channels[Math.Max(i - 1, 0)], channels[i], 0, c.LayersAt(i),
                Resample: i < c.Levels - 1, ResnetOf(c), AttentionOf(c, i, c.OnlyCrossAttentionAt(i)));
            return DownFactories[Canonical(c.DownBlockTypes[i])](spec, c);
        })];
    }

    public static UNetMidBlock? Mid(UNet2DConditionConfig c)
    {
        if (c.MidBlockType is null) return null;
        var level = c.Levels - 1;
        return MidFactories[c.MidBlockType](c.BlockOutChannels[level],
            ResnetOf(c) with { OutputScaleFactor = c.MidBlockScaleFactor },
            AttentionOf(c, level, c.MidOnlyCrossAttention));
    }

    /// <summary>
    /// Up block i works at level n-1-i and reads the level settings reversed, as diffusers does,
    /// except attention_head_dim, which diffusers reads unreversed (index i): kept, so that
    /// per-level head sizes mean what they mean in diffusers.
    /// </summary>
    public static UNetUpBlock[] UpPath(UNet2DConditionConfig c)
    {
        var reversed = c.BlockOutChannels.Reverse().ToArray();
        var n = c.Levels;
        return [.. Enumerable.Range(0, n).Select(i =>
        {
            var level = n - 1 - i;
            var spec = new BlockSpec(reversed[Math.Min(i + 1, n - 1)], reversed[i], reversed[Math.Max(i - 1, 0)],
                c.LayersAt(level) + 1, Resample: i < n - 1, ResnetOf(c), AttentionOf(c, i, c.OnlyCrossAttentionAt(level)));
            return UpFactories[Canonical(c.UpBlockTypes[i])](spec);
        })];
    }

    static ResnetSettings ResnetOf(UNet2DConditionConfig c) => new(
        c.TimeEmbedDim, c.NormNumGroups!.Value, c.NormEps, c.ActFn, c.ResnetTimeScaleShift == "scale_shift",
        c.ResnetSkipTimeAct, c.ResnetOutScaleFactor, c.Dropout);

    static AttentionSettings AttentionOf(UNet2DConditionConfig c, int headDimIndex, bool onlyCross) => new(
        c.HeadDimAt(headDimIndex), c.CrossAttentionDim, c.NormNumGroups!.Value, c.CrossAttentionNorm == "group_norm", onlyCross);
}
