using TextToImage.Diffusion.IO;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace TextToImage.Diffusion.Networks;

/// <summary>
/// The constructor arguments of diffusers' <c>UNet2DConditionModel</c> that this engine
/// builds, under the same JSON keys and with the same defaults, so a published
/// <c>unet/config.json</c> (DeepFloyd IF) loads as it is. Keys we do not model are ignored:
/// they only configure block families we do not build (Transformer2D blocks), and those
/// families are refused by name. A modelled key with a value we cannot build fails
/// <see cref="Validate"/> with the key and the value in the message.
/// </summary>
public sealed record UNet2DConditionConfig
{
    [JsonPropertyName("_class_name")] public string ClassName { get; init; } = "UNet2DConditionModel";
    [JsonPropertyName("sample_size")] public int? SampleSize { get; init; }
    [JsonPropertyName("in_channels")] public int InChannels { get; init; } = 4;
    [JsonPropertyName("out_channels")] public int OutChannels { get; init; } = 4;
    [JsonPropertyName("center_input_sample")] public bool CenterInputSample { get; init; }
    [JsonPropertyName("flip_sin_to_cos")] public bool FlipSinToCos { get; init; } = true;
    [JsonPropertyName("freq_shift")] public int FreqShift { get; init; }

    [JsonPropertyName("down_block_types")]
    public string[] DownBlockTypes { get; init; } = ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"];

    [JsonPropertyName("mid_block_type")] public string? MidBlockType { get; init; } = "UNetMidBlock2DCrossAttn";

    [JsonPropertyName("up_block_types")]
    public string[] UpBlockTypes { get; init; } = ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"];

    [JsonPropertyName("only_cross_attention"), JsonConverter(typeof(ScalarOrListConverter<bool>))]
    public bool[] OnlyCrossAttention { get; init; } = [false];

    [JsonPropertyName("block_out_channels")] public int[] BlockOutChannels { get; init; } = [320, 640, 1280, 1280];

    [JsonPropertyName("layers_per_block"), JsonConverter(typeof(ScalarOrListConverter<int>))]
    public int[] LayersPerBlock { get; init; } = [2];

    [JsonPropertyName("downsample_padding")] public int DownsamplePadding { get; init; } = 1;
    [JsonPropertyName("mid_block_scale_factor")] public double MidBlockScaleFactor { get; init; } = 1.0;
    [JsonPropertyName("dropout")] public double Dropout { get; init; }
    [JsonPropertyName("act_fn")] public string ActFn { get; init; } = "silu";
    [JsonPropertyName("norm_num_groups")] public int? NormNumGroups { get; init; } = 32;
    [JsonPropertyName("norm_eps")] public double NormEps { get; init; } = 1e-5;
    [JsonPropertyName("cross_attention_dim")] public int CrossAttentionDim { get; init; } = 1280;
    [JsonPropertyName("encoder_hid_dim")] public int? EncoderHidDim { get; init; }
    [JsonPropertyName("encoder_hid_dim_type")] public string? EncoderHidDimType { get; init; }

    /// <summary>Channels per attention head, per level (diffusers' name, and in the blocks we build its meaning).</summary>
    [JsonPropertyName("attention_head_dim"), JsonConverter(typeof(ScalarOrListConverter<int>))]
    public int[] AttentionHeadDim { get; init; } = [8];

    /// <summary>Must stay null: diffusers itself refuses it (issue #2011).</summary>
    [JsonPropertyName("num_attention_heads"), JsonConverter(typeof(ScalarOrListConverter<int>))]
    public int[]? NumAttentionHeads { get; init; }

    [JsonPropertyName("class_embed_type")] public string? ClassEmbedType { get; init; }
    [JsonPropertyName("addition_embed_type")] public string? AdditionEmbedType { get; init; }
    [JsonPropertyName("addition_embed_type_num_heads")] public int AdditionEmbedTypeNumHeads { get; init; } = 64;
    [JsonPropertyName("num_class_embeds")] public int? NumClassEmbeds { get; init; }

    /// <summary>Accepted for completeness: diffusers only hands it to Transformer2D blocks, which we do not build.</summary>
    [JsonPropertyName("upcast_attention")] public bool UpcastAttention { get; init; }

    [JsonPropertyName("resnet_time_scale_shift")] public string ResnetTimeScaleShift { get; init; } = "default";
    [JsonPropertyName("resnet_skip_time_act")] public bool ResnetSkipTimeAct { get; init; }
    [JsonPropertyName("resnet_out_scale_factor")] public double ResnetOutScaleFactor { get; init; } = 1.0;
    [JsonPropertyName("time_embedding_type")] public string TimeEmbeddingType { get; init; } = "positional";
    [JsonPropertyName("time_embedding_dim")] public int? TimeEmbeddingDim { get; init; }
    [JsonPropertyName("time_embedding_act_fn")] public string? TimeEmbeddingActFn { get; init; }
    [JsonPropertyName("timestep_post_act")] public string? TimestepPostAct { get; init; }
    [JsonPropertyName("time_cond_proj_dim")] public int? TimeCondProjDim { get; init; }
    [JsonPropertyName("conv_in_kernel")] public int ConvInKernel { get; init; } = 3;
    [JsonPropertyName("conv_out_kernel")] public int ConvOutKernel { get; init; } = 3;
    [JsonPropertyName("class_embeddings_concat")] public bool ClassEmbeddingsConcat { get; init; }
    [JsonPropertyName("mid_block_only_cross_attention")] public bool? MidBlockOnlyCrossAttention { get; init; }
    [JsonPropertyName("cross_attention_norm")] public string? CrossAttentionNorm { get; init; }

    // ---- derived settings, as diffusers' constructor computes them ----

    [JsonIgnore] public int Levels => BlockOutChannels.Length;
    [JsonIgnore] public int TimeEmbedDim => TimeEmbeddingDim ?? BlockOutChannels[0] * 4;

    /// <summary>Width of the text states the network takes (before <c>encoder_hid_proj</c>).</summary>
    [JsonIgnore] public int TextStatesDim => EncoderHidDim ?? CrossAttentionDim;

    /// <summary>diffusers turns a bare <c>encoder_hid_dim</c> into <c>text_proj</c>.</summary>
    [JsonIgnore] public string? EncoderHidProjection => EncoderHidDimType ?? (EncoderHidDim is null ? null : "text_proj");

    public int LayersAt(int level) => AtLevel(LayersPerBlock, level);
    public int HeadDimAt(int level) => AtLevel(AttentionHeadDim, level);
    public bool OnlyCrossAttentionAt(int level) => AtLevel(OnlyCrossAttention, level);

    /// <summary>diffusers: a single only_cross_attention value also applies to the mid block, a list does not.</summary>
    [JsonIgnore]
    public bool MidOnlyCrossAttention => MidBlockOnlyCrossAttention ?? (OnlyCrossAttention.Length == 1 && OnlyCrossAttention[0]);

    static T AtLevel<T>(T[] values, int level) => values.Length == 1 ? values[0] : values[level];

    // ---- JSON ----

    static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>Reads a diffusers <c>config.json</c>; unknown keys are ignored, unsupported values throw.</summary>
    public static UNet2DConditionConfig Load(string path) => Parse(File.ReadAllText(path), path);

    public static UNet2DConditionConfig Parse(string json, string source = "<json>")
    {
        UNet2DConditionConfig? config;
        try { config = JsonSerializer.Deserialize<UNet2DConditionConfig>(json, JsonOptions); }
        catch (JsonException e) { throw new InvalidDataException($"UNet config {source}, at {e.Path}: {e.Message}", e); }
        if (config is null) throw new InvalidDataException($"UNet config {source}: the file holds null.");
        config.Validate();
        return config;
    }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public void Save(string path) => AtomicFile.WriteAllText(path, ToJson());

    /// <summary>Throws, naming the key and its value, when this engine cannot build the network described.</summary>
    public void Validate() => UNetConfigValidation.Check(this);
}
