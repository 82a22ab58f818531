using TextToImage.Diffusion.Networks;

namespace TextToImage.Diffusion.Tests.Networks;

public sealed class UNetConfigTests
{
    [Fact]
    public void A_published_IF_II_L_config_parses_with_its_values()
    {
        var c = UNet2DConditionConfig.Parse(IfReference.IfIILConfigJson);
        Assert.Equal(6, c.InChannels);
        Assert.Equal(6, c.OutChannels);
        Assert.Equal([160, 320, 640, 960, 1280], c.BlockOutChannels);
        Assert.Equal([2, 2, 3, 5, 5], c.LayersPerBlock);
        Assert.Equal(5, c.LayersAt(4));
        Assert.Equal(64, c.HeadDimAt(3));
        Assert.Equal("SimpleCrossAttnDownBlock2D", c.DownBlockTypes[3]);
        Assert.Equal("timestep", c.ClassEmbedType);
        Assert.Equal("text", c.AdditionEmbedType);
        Assert.Equal("text_proj", c.EncoderHidProjection);
        Assert.Equal(4096, c.TextStatesDim);
        Assert.Equal(1280, c.TimeEmbedDim);
        Assert.Equal("gelu", c.TimeEmbeddingActFn);
        Assert.Equal(1.41421, c.ResnetOutScaleFactor);
        Assert.Equal(1.41421, c.MidBlockScaleFactor);
        Assert.True(c.ResnetSkipTimeAct);
        Assert.False(c.MidOnlyCrossAttention);
        Assert.Equal(1e-5, c.NormEps);
    }

    [Fact]
    public void Defaults_are_diffusers_defaults()
    {
        var c = new UNet2DConditionConfig();
        Assert.Equal((4, 4, true, 0), (c.InChannels, c.OutChannels, c.FlipSinToCos, c.FreqShift));
        Assert.Equal([320, 640, 1280, 1280], c.BlockOutChannels);
        Assert.Equal((2, 8, 1280, 32), (c.LayersAt(0), c.HeadDimAt(0), c.CrossAttentionDim, c.NormNumGroups));
        Assert.Equal(("silu", "default", 1.0, 64), (c.ActFn, c.ResnetTimeScaleShift, c.ResnetOutScaleFactor, c.AdditionEmbedTypeNumHeads));
        Assert.Equal(1280, c.TimeEmbedDim);
        // diffusers' default blocks are Stable Diffusion's transformer blocks, which we do not build.
        var e = Assert.Throws<NotSupportedException>(() => UNet2DConditionConfig.Parse("{}"));
        Assert.Contains("down_block_types[0] = \"CrossAttnDownBlock2D\"", e.Message);
    }

    [Fact]
    public void Save_and_load_round_trip_and_per_level_values_keep_their_form()
    {
        var path = Path.Combine(Path.GetTempPath(), $"unet-config-{Guid.NewGuid():N}.json");
        try
        {
            var config = UNetPresets.SuperResolution(32, 128, textDim: 512);
            config.Save(path);
            var json = File.ReadAllText(path);
            Assert.Contains("\"layers_per_block\": [", json);
            Assert.Contains("\"attention_head_dim\": 64", json);
            Assert.Contains("\"only_cross_attention\": false", json);
            Assert.Contains("\"_class_name\": \"UNet2DConditionModel\"", json);
            var loaded = UNet2DConditionConfig.Load(path);
            Assert.Equal(json, loaded.ToJson());
            Assert.Equal(config.LayersPerBlock, loaded.LayersPerBlock);
            Assert.Equal(config.ClassEmbedType, loaded.ClassEmbedType);
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData("\"down_block_types\": [\"ResnetDownsampleBlock2D\", \"CrossAttnDownBlock2D\"]", "down_block_types[1] = \"CrossAttnDownBlock2D\"")]
    [InlineData("\"up_block_types\": [\"AttnUpBlock2D\", \"UpBlock2D\"]", "up_block_types[0] = \"AttnUpBlock2D\"")]
    [InlineData("\"mid_block_type\": \"UNetMidBlock2DCrossAttn\"", "mid_block_type = \"UNetMidBlock2DCrossAttn\"")]
    [InlineData("\"class_embed_type\": \"projection\"", "class_embed_type = \"projection\"")]
    [InlineData("\"addition_embed_type\": \"text_time\"", "addition_embed_type = \"text_time\"")]
    [InlineData("\"act_fn\": \"tanh\"", "act_fn = \"tanh\"")]
    [InlineData("\"resnet_time_scale_shift\": \"ada_group\"", "resnet_time_scale_shift = \"ada_group\"")]
    [InlineData("\"time_cond_proj_dim\": 256", "time_cond_proj_dim = 256")]
    [InlineData("\"cross_attention_norm\": \"layer_norm\"", "cross_attention_norm = \"layer_norm\"")]
    public void An_unsupported_value_is_refused_naming_key_and_value(string entry, string expected)
    {
        var e = Assert.Throws<NotSupportedException>(() => UNet2DConditionConfig.Parse(TwoLevels(entry)));
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("\"layers_per_block\": [1, 2, 3]", "layers_per_block = [1,2,3]")]
    [InlineData("\"block_out_channels\": [16, 36]", "block_out_channels = [16,36]")]
    [InlineData("\"attention_head_dim\": 12", "attention_head_dim = [12]")]
    [InlineData("\"cross_attention_dim\": 48", "cross_attention_dim = 48")]
    public void Values_that_do_not_fit_together_are_refused_naming_key_and_value(string entry, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => UNet2DConditionConfig.Parse(TwoLevels(entry)));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_config_record_that_was_never_parsed_is_checked_when_the_network_is_built()
    {
        var config = UNetPresets.Tiny() with { DownBlockTypes = ["DownBlock2D", "KCrossAttnDownBlock2D"] };
        var e = Assert.Throws<NotSupportedException>(() => new UNet2DConditionModel(config));
        Assert.Contains("down_block_types[1] = \"KCrossAttnDownBlock2D\"", e.Message);
        Assert.Contains("SimpleCrossAttnDownBlock2D", e.Message);   // says what would work
    }

    [Fact]
    public void Malformed_json_names_the_key()
    {
        var e = Assert.Throws<InvalidDataException>(() => UNet2DConditionConfig.Parse(TwoLevels("\"layers_per_block\": \"two\"")));
        Assert.Contains("layers_per_block", e.Message);
    }

    [Fact]
    public void Old_UNetRes_block_names_are_accepted_as_diffusers_does()
    {
        var config = UNet2DConditionConfig.Parse(TwoLevels("\"down_block_types\": [\"UNetResDownBlock2D\", \"SimpleCrossAttnDownBlock2D\"]"));
        using var model = new UNet2DConditionModel(config);
        Assert.Contains(model.state_dict().Keys, k => k.StartsWith("down_blocks.0.downsamplers.0.conv.", StringComparison.Ordinal));
    }

    /// <summary>A valid two-level config (16/32 channels) with one entry replaced or added.</summary>
    static string TwoLevels(string entry)
    {
        var settings = new Dictionary<string, string>
        {
            ["block_out_channels"] = "[16, 32]",
            ["norm_num_groups"] = "8",
            ["layers_per_block"] = "1",
            ["attention_head_dim"] = "8",
            ["cross_attention_dim"] = "32",
            ["cross_attention_norm"] = "\"group_norm\"",
            ["down_block_types"] = "[\"DownBlock2D\", \"SimpleCrossAttnDownBlock2D\"]",
            ["up_block_types"] = "[\"SimpleCrossAttnUpBlock2D\", \"UpBlock2D\"]",
            ["mid_block_type"] = "\"UNetMidBlock2DSimpleCrossAttn\"",
        };
        var key = entry[1..entry.IndexOf('"', 1)];
        settings[key] = entry[(entry.IndexOf(':') + 1)..].Trim();
        return "{" + string.Join(", ", settings.Select(kv => $"\"{kv.Key}\": {kv.Value}")) + "}";
    }
}
