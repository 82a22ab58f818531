using TextToImage.Diffusion.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Tests.Networks;

/// <summary>The block and embedding variants IF does not use but configs may name.</summary>
public sealed class BlockVariantTests
{
    [Fact]
    public void Plain_blocks_ignore_the_text_when_nothing_reads_it()
    {
        using var scope = NewDisposeScope();
        var config = new UNet2DConditionConfig
        {
            InChannels = 3,
            OutChannels = 3,
            BlockOutChannels = [8, 16],
            LayersPerBlock = [1, 2],
            NormNumGroups = 4,
            CrossAttentionDim = 32,
            DownBlockTypes = ["DownBlock2D", "DownBlock2D"],
            UpBlockTypes = ["UpBlock2D", "UpBlock2D"],
            MidBlockType = "UNetMidBlock2D",
            DownsamplePadding = 0,
            CenterInputSample = true,
        };
        using var model = new UNet2DConditionModel(config);
        var keys = model.state_dict().Keys.ToList();
        Assert.Contains("mid_block.resnets.0.conv1.weight", keys);
        Assert.Contains("down_blocks.0.downsamplers.0.conv.weight", keys);
        Assert.Contains("up_blocks.0.upsamplers.0.conv.weight", keys);
        Assert.DoesNotContain(keys, k => k.Contains("attentions", StringComparison.Ordinal));
        Assert.Equal(3, keys.Count(k => k.StartsWith("up_blocks.0.resnets.", StringComparison.Ordinal) && k.EndsWith("conv1.weight", StringComparison.Ordinal)));

        using var _ = no_grad();
        var sample = randn(2, 3, 8, 8);
        var a = model.call(sample, tensor(10L), randn(2, 4, 32), null, null);
        var b = model.call(sample, tensor(10L), randn(2, 4, 32), null, null);
        Assert.Equal([2, 3, 8, 8], a.shape);
        Assert.True(a.allclose(b, rtol: 0, atol: 0));
    }

    [Fact]
    public void Only_cross_attention_drops_the_self_keys_and_still_honours_the_mask()
    {
        using var scope = NewDisposeScope();
        using var model = new UNet2DConditionModel(UNetPresets.Tiny() with { OnlyCrossAttention = [true] });
        var keys = model.state_dict().Keys.ToList();
        Assert.Contains("mid_block.attentions.0.add_k_proj.weight", keys);
        Assert.DoesNotContain(keys, k => k.Contains(".to_k.", StringComparison.Ordinal) || k.Contains(".to_v.", StringComparison.Ordinal));

        using var _ = no_grad();
        var (sample, text) = (randn(1, 3, 8, 8), randn(1, 4, 32));
        var mask = tensor(new[,] { { true, true, false, false } });
        var output = model.call(sample, tensor(10L), text, mask, null);
        text[0, 3] = randn(32);
        Assert.True(output.allclose(model.call(sample, tensor(10L), text, mask, null), rtol: 0, atol: 1e-6));
    }

    [Theory]
    [InlineData(true, 0)]
    [InlineData(false, 1)]
    public void Timestep_projection_follows_diffusers_get_timestep_embedding(bool flipSinToCos, int freqShift)
    {
        using var scope = NewDisposeScope();
        // dim 4: two frequencies, exp(-ln(10000) * i / (2 - shift)) for i = 0, 1.
        var frequencies = new[] { 1.0, Math.Exp(-Math.Log(10000) / (2 - freqShift)) };
        var t = 37.5;
        var sin = frequencies.Select(f => Math.Sin(t * f));
        var cos = frequencies.Select(f => Math.Cos(t * f));
        var expected = (flipSinToCos ? cos.Concat(sin) : sin.Concat(cos)).ToArray();

        var actual = Timesteps.Project(tensor(new[] { 0.0, t }), 4, flipSinToCos, freqShift);
        Assert.Equal(ScalarType.Float32, actual.dtype);
        Assert.Equal([2, 4], actual.shape);
        for (var i = 0; i < 4; i++) Assert.Equal(expected[i], actual[1, i].item<float>(), 4);
        Assert.Equal(flipSinToCos ? [1f, 1f, 0f, 0f] : [0f, 0f, 1f, 1f], actual[0].data<float>().ToArray());
        Assert.Equal([2, 5], Timesteps.Project(tensor(new[] { 1L, 2L }), 5, flipSinToCos, freqShift).shape);   // odd: zero-padded
    }
}
