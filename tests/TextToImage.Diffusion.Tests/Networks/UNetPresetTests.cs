using TextToImage.Diffusion.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Tests.Networks;

public sealed class UNetPresetTests
{
    [Fact]
    public void Base32_is_a_few_million_parameters_and_predicts_at_32x32()
    {
        using var scope = NewDisposeScope();
        using var model = new UNet2DConditionModel(UNetPresets.Base32(textDim: 384));
        Assert.InRange(model.ParameterCount(), 2_000_000, 5_000_000);
        var c = model.Config;
        Assert.Equal(["DownBlock2D", "DownBlock2D", "SimpleCrossAttnDownBlock2D"], c.DownBlockTypes);   // text attention only at 8x8
        Assert.True(c.LayersAt(2) > c.LayersAt(0));                                       // more blocks low down
        Assert.Equal(1.41421, c.ResnetOutScaleFactor);
        using var _ = no_grad();
        var output = model.call(randn(1, 3, 32, 32), tensor(999L), randn(1, 8, 384), ones(1, 8, ScalarType.Bool), null);
        Assert.Equal([1, 3, 32, 32], output.shape);
        Assert.True(output.isfinite().all().item<bool>());
    }

    [Fact]
    public void Super_resolution_presets_take_six_channels_and_attend_only_low_down()
    {
        using var scope = NewDisposeScope();
        var c = UNetPresets.SuperResolution(32, 128, textDim: 512, learnedVariance: true);
        Assert.Equal((6, 6, "timestep", 128), (c.InChannels, c.OutChannels, c.ClassEmbedType, c.SampleSize));
        Assert.Equal(4, c.Levels);                                                        // 128, 64, 32, 16
        Assert.Equal(["ResnetDownsampleBlock2D", "ResnetDownsampleBlock2D", "ResnetDownsampleBlock2D", "SimpleCrossAttnDownBlock2D"], c.DownBlockTypes);
        Assert.Equal(512, c.TextStatesDim);
        using (var model = new UNet2DConditionModel(c)) Assert.InRange(model.ParameterCount(), 2_000_000, 8_000_000);

        using var small = new UNet2DConditionModel(UNetPresets.SuperResolution(8, 32, textDim: 64));
        using var _ = no_grad();
        var output = small.call(randn(2, 6, 32, 32), tensor(new long[] { 10, 20 }), randn(2, 5, 64), null, tensor(new long[] { 250, 250 }));
        Assert.Equal([2, 3, 32, 32], output.shape);
        Assert.Throws<ArgumentException>(() => UNetPresets.SuperResolution(64, 64));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Tiny_is_a_few_tens_of_thousands_of_parameters(bool superResolution)
    {
        using var model = new UNet2DConditionModel(UNetPresets.Tiny(superResolution: superResolution));
        Assert.InRange(model.ParameterCount(), 10_000, 100_000);
    }

    [Fact]
    public void The_text_width_is_a_parameter_of_every_preset()
    {
        Assert.Equal(768, UNetPresets.Base32(textDim: 768).TextStatesDim);
        Assert.Equal(256, UNetPresets.SuperResolution(32, 128, textDim: 256).TextStatesDim);
        Assert.Equal(64, UNetPresets.Tiny(crossAttentionDim: 64).TextStatesDim);
        Assert.Equal(48, UNetPresets.Tiny(encoderHidDim: 48).TextStatesDim);
    }

    [Fact]
    public void Tiny_takes_narrow_text_without_the_32_group_text_norm()
    {
        using var scope = NewDisposeScope();
        var narrow = UNetPresets.Tiny(16, 16);
        Assert.Null(narrow.CrossAttentionNorm);
        Assert.Equal("group_norm", UNetPresets.Tiny(16, 64).CrossAttentionNorm);
        using var model = new UNet2DConditionModel(narrow);
        Assert.DoesNotContain(model.state_dict().Keys, k => k.Contains("norm_cross", StringComparison.Ordinal));
        using var _ = no_grad();
        Assert.Equal([1, 3, 16, 16], model.call(randn(1, 3, 16, 16), tensor(1L), randn(1, 3, 16), null, null).shape);
    }
}
