using TextToImage.Diffusion.Networks;

namespace TextToImage.Diffusion.Tests.Networks;

/// <summary>DeepFloyd IF's published U-Net configs and the reference weight layouts beside the repository.</summary>
static class IfReference
{
    /// <summary>IF-II-L-v1.0 unet/config.json as diffusers' convert_if.py writes it (values from the reference README).</summary>
    public const string IfIILConfigJson = """
        {
          "_class_name": "UNet2DConditionModel",
          "_diffusers_version": "0.16.0",
          "act_fn": "gelu",
          "addition_embed_type": "text",
          "addition_embed_type_num_heads": 64,
          "attention_head_dim": 64,
          "block_out_channels": [160, 320, 640, 960, 1280],
          "center_input_sample": false,
          "class_embed_type": "timestep",
          "class_embeddings_concat": false,
          "conv_in_kernel": 3,
          "conv_out_kernel": 3,
          "cross_attention_dim": 1280,
          "cross_attention_norm": "group_norm",
          "down_block_types": ["ResnetDownsampleBlock2D", "ResnetDownsampleBlock2D", "ResnetDownsampleBlock2D",
                               "SimpleCrossAttnDownBlock2D", "SimpleCrossAttnDownBlock2D"],
          "downsample_padding": 1,
          "dual_cross_attention": false,
          "encoder_hid_dim": 4096,
          "encoder_hid_dim_type": "text_proj",
          "flip_sin_to_cos": true,
          "freq_shift": 0,
          "in_channels": 6,
          "layers_per_block": [2, 2, 3, 5, 5],
          "mid_block_only_cross_attention": null,
          "mid_block_scale_factor": 1.41421,
          "mid_block_type": "UNetMidBlock2DSimpleCrossAttn",
          "norm_eps": 1e-05,
          "norm_num_groups": 32,
          "num_class_embeds": null,
          "only_cross_attention": false,
          "out_channels": 6,
          "projection_class_embeddings_input_dim": null,
          "resnet_out_scale_factor": 1.41421,
          "resnet_skip_time_act": true,
          "resnet_time_scale_shift": "scale_shift",
          "sample_size": 256,
          "time_cond_proj_dim": null,
          "time_embedding_act_fn": "gelu",
          "time_embedding_dim": 1280,
          "time_embedding_type": "positional",
          "timestep_post_act": null,
          "up_block_types": ["SimpleCrossAttnUpBlock2D", "SimpleCrossAttnUpBlock2D", "ResnetUpsampleBlock2D",
                             "ResnetUpsampleBlock2D", "ResnetUpsampleBlock2D"],
          "upcast_attention": false,
          "use_linear_projection": false
        }
        """;

    /// <summary>IF-I-XL-v1.0 (stage I) as convert_if.py's create_unet_diffusers_config builds it.</summary>
    public const string IfIXLConfigJson = """
        {
          "_class_name": "UNet2DConditionModel",
          "act_fn": "gelu",
          "addition_embed_type": "text",
          "attention_head_dim": 64,
          "block_out_channels": [704, 1408, 2112, 2816],
          "class_embed_type": null,
          "cross_attention_dim": 2816,
          "cross_attention_norm": "group_norm",
          "down_block_types": ["ResnetDownsampleBlock2D", "SimpleCrossAttnDownBlock2D", "SimpleCrossAttnDownBlock2D",
                               "SimpleCrossAttnDownBlock2D"],
          "encoder_hid_dim": 4096,
          "in_channels": 3,
          "layers_per_block": 3,
          "mid_block_type": "UNetMidBlock2DSimpleCrossAttn",
          "out_channels": 6,
          "projection_class_embeddings_input_dim": null,
          "resnet_time_scale_shift": "scale_shift",
          "sample_size": 64,
          "up_block_types": ["SimpleCrossAttnUpBlock2D", "SimpleCrossAttnUpBlock2D", "SimpleCrossAttnUpBlock2D",
                             "ResnetUpsampleBlock2D"],
          "upcast_attention": false,
          "use_linear_projection": false
        }
        """;

    /// <summary>
    /// Networks/Reference/&lt;file&gt;, copied beside the tests: the published IF key layouts (see
    /// Reference/README.md for their provenance). Missing files fail the test, loudly.
    /// </summary>
    public static Dictionary<string, long[]> ReadKeys(string file)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Networks", "Reference", file);
        Assert.True(File.Exists(path), $"Reference layout {path} is missing from the test output.");

        var keys = new Dictionary<string, long[]>();
        foreach (var line in File.ReadLines(path).Where(l => l.Length > 0))
        {
            var parts = line.Split('\t');
            keys.Add(parts[0], [.. parts[1].Trim('[', ']').Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(long.Parse)]);
        }
        return keys;
    }
}
