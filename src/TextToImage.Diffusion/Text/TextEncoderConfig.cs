using System.Text.Json.Serialization;
using TextToImage.Diffusion.IO;

namespace TextToImage.Diffusion.Text;

/// <summary><c>text_encoder/config.json</c>: which encoder a model uses, and its shape.</summary>
public sealed record TextEncoderConfig
{
    [JsonPropertyName("type")] public required string Type { get; init; }
    [JsonPropertyName("embedding_dim")] public int EmbeddingDim { get; init; }
    [JsonPropertyName("max_tokens")] public int MaxTokens { get; init; } = 77;
    [JsonPropertyName("vocabulary_size")] public int VocabularySize { get; init; } = 4096;
    [JsonPropertyName("seed")] public long Seed { get; init; }

    public const string FileName = "config.json";

    public static TextEncoderConfig Load(string folder) => JsonFiles.Read<TextEncoderConfig>(Path.Combine(folder, FileName));

    public void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        JsonFiles.Write(Path.Combine(folder, FileName), this);
    }

    public ITextEncoder Create() => Type switch
    {
        HashedTokenTextEncoder.TypeName => new HashedTokenTextEncoder(EmbeddingDim, MaxTokens, VocabularySize, Seed),
        _ => throw new InvalidDataException($"Unknown text encoder type '{Type}' (known: {HashedTokenTextEncoder.TypeName})."),
    };
}
