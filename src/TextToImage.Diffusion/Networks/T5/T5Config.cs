using System.Text.Json.Serialization;
using TextToImage.Diffusion.IO;

namespace TextToImage.Diffusion.Networks.T5;

/// <summary>
/// transformers' <c>T5Config</c> fields that shape the encoder, read from its <c>config.json</c> (t5-v1_1-xxl, which
/// DeepFloyd IF's <c>text_encoder/</c> holds: d_model 4096, 24 layers, 64 heads of 64, d_ff 10240, gated-gelu).
/// </summary>
public sealed record T5Config
{
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 32128;
    [JsonPropertyName("d_model")] public int DModel { get; init; } = 512;
    [JsonPropertyName("d_kv")] public int DKv { get; init; } = 64;
    [JsonPropertyName("d_ff")] public int DFf { get; init; } = 2048;
    [JsonPropertyName("num_layers")] public int NumLayers { get; init; } = 6;
    [JsonPropertyName("num_heads")] public int NumHeads { get; init; } = 8;
    [JsonPropertyName("relative_attention_num_buckets")] public int RelativeAttentionNumBuckets { get; init; } = 32;
    [JsonPropertyName("relative_attention_max_distance")] public int RelativeAttentionMaxDistance { get; init; } = 128;
    [JsonPropertyName("layer_norm_epsilon")] public double LayerNormEpsilon { get; init; } = 1e-6;
    [JsonPropertyName("feed_forward_proj")] public string FeedForwardProj { get; init; } = "relu";

    /// <summary>The one feed-forward this encoder builds: T5 v1.1's (and so IF's) GELU-gated one.</summary>
    public const string GatedGelu = "gated-gelu";

    public const string FileName = "config.json";

    public static T5Config Load(string folder)
    {
        var config = JsonFiles.Read<T5Config>(Path.Combine(folder, FileName));
        config.Validate(Path.Combine(folder, FileName));
        return config;
    }

    public void Validate(string source)
    {
        if (FeedForwardProj != GatedGelu)
            throw new InvalidDataException($"{source}: feed_forward_proj '{FeedForwardProj}' is not supported; this T5 encoder is T5 v1.1's ({GatedGelu}), as DeepFloyd IF uses.");
        foreach (var (name, value) in new[] { ("vocab_size", VocabSize), ("d_model", DModel), ("d_kv", DKv), ("d_ff", DFf), ("num_layers", NumLayers), ("num_heads", NumHeads), ("relative_attention_num_buckets", RelativeAttentionNumBuckets) })
            if (value < 1) throw new InvalidDataException($"{source}: {name} must be at least 1, not {value}.");
        if (RelativeAttentionNumBuckets % 4 != 0 || RelativeAttentionMaxDistance <= RelativeAttentionNumBuckets / 4)
            throw new InvalidDataException($"{source}: relative_attention_num_buckets must be a multiple of 4 and relative_attention_max_distance above a quarter of it.");
        if (LayerNormEpsilon <= 0) throw new InvalidDataException($"{source}: layer_norm_epsilon must be positive.");
    }

    /// <summary>Parameters of the encoder (embedding, blocks, final norm): t5-v1_1-xxl's is 4.76 billion.</summary>
    public long ParameterCount =>
        (long)VocabSize * DModel
        + (long)NumLayers * (4L * DModel * NumHeads * DKv + 3L * DModel * DFf + 2L * DModel)
        + (long)RelativeAttentionNumBuckets * NumHeads + DModel;
}
