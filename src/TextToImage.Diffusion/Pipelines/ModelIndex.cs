using System.Text.Json;
using System.Text.Json.Serialization;
using TextToImage.Diffusion.IO;

namespace TextToImage.Diffusion.Pipelines;

/// <summary>
/// <c>model_index.json</c>: what a model folder holds, in the spirit of diffusers' file of the
/// same name. Stages are listed base first, then each super-resolution stage in order.
/// </summary>
public sealed record ModelIndex
{
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("license")] public string? License { get; init; }
    [JsonPropertyName("description")] public string? Description { get; init; }
    [JsonPropertyName("text_encoder")] public string TextEncoderFolder { get; init; } = "text_encoder";

    /// <summary>The folder of a <see cref="Text.PromptVocabulary"/>: when set, every prompt is drawn as the subject nearest it.</summary>
    [JsonPropertyName("prompt_vocabulary")] public string? PromptVocabularyFolder { get; init; }
    [JsonPropertyName("stages")] public required IReadOnlyList<StageEntry> Stages { get; init; }

    public const string FileName = "model_index.json";

    public static ModelIndex Load(string folder) => JsonFiles.Read<ModelIndex>(Path.Combine(folder, FileName));

    public void Save(string folder) => JsonFiles.Write(Path.Combine(folder, FileName), this);
}

public enum StageKind
{
    Base,
    SuperResolution,
}

/// <summary>Writes and reads stage kinds as <c>base</c> and <c>super_resolution</c>.</summary>
sealed class StageKindJsonConverter() : JsonStringEnumConverter<StageKind>(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false);

/// <summary>What of the encoded prompt a stage's network attends to.</summary>
public enum StageTextInput
{
    /// <summary>The encoder's token states and mask (Imagen, DeepFloyd IF).</summary>
    Tokens,

    /// <summary>
    /// One token: the encoder's sentence embedding (for MiniLM the sentence-transformers vector trained so that
    /// paraphrases land near each other), L2-normalised and scaled to unit RMS per element; see
    /// <see cref="Text.TextEmbeddings.AsSentenceToken"/>.
    /// </summary>
    Sentence,

    /// <summary>
    /// The token states with the first ([CLS] for MiniLM) replaced by the sentence token; see
    /// <see cref="Text.TextEmbeddings.WithSentenceTokenFirst"/>. Same shape as <see cref="Tokens"/>, so a network trained
    /// on tokens can be fine-tuned on it.
    /// </summary>
    TokensWithSentence,
}

/// <summary>Writes and reads <c>tokens</c>, <c>sentence</c> and <c>tokens_with_sentence</c>.</summary>
sealed class StageTextInputJsonConverter() : JsonStringEnumConverter<StageTextInput>(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false);

/// <summary>One stage of the cascade: its folder and the settings used when a request names none.</summary>
public sealed record StageEntry
{
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("folder")] public required string Folder { get; init; }
    [JsonPropertyName("kind"), JsonConverter(typeof(StageKindJsonConverter))]
    public StageKind Kind { get; init; } = StageKind.Base;
    [JsonPropertyName("defaults")] public StageDefaults Defaults { get; init; } = new();

    /// <summary>
    /// Whether the network sees which text tokens are padding. Our networks are trained with the
    /// mask; DeepFloyd IF's were run without one (diffusers passes none), so its weights want false.
    /// </summary>
    [JsonPropertyName("use_text_mask")] public bool UseTextMask { get; init; } = true;

    /// <summary>
    /// <c>tokens</c> (the default) or <c>sentence</c>: the network sees the prompt's token states, or one token made of
    /// its sentence embedding (cheaper to attend to, and a paraphrase is as near its caption as the encoder puts it).
    /// </summary>
    [JsonPropertyName("text_input"), JsonConverter(typeof(StageTextInputJsonConverter))]
    public StageTextInput TextInput { get; init; } = StageTextInput.Tokens;

    /// <summary>
    /// The folder of the stage's <c>scheduler_config.json</c>, relative to the model folder; null: the stage's own
    /// folder. A diffusers pipeline keeps it beside the U-Net (DeepFloyd IF: <c>IF-I-XL-v1.0/scheduler</c>).
    /// </summary>
    [JsonPropertyName("scheduler")] public string? SchedulerFolder { get; init; }

    /// <summary>Where this stage's scheduler_config.json is, in the model folder <paramref name="modelFolder"/>.</summary>
    public string SchedulerConfigPath(string modelFolder) =>
        Path.Combine(modelFolder, SchedulerFolder ?? Folder, ModelFolder.SchedulerConfigFile);

    /// <summary>
    /// A super-resolution stage's folder of the <c>scheduler_config.json</c> whose noise schedule augments its
    /// low-resolution input, relative to the model folder (diffusers' IF super-resolution pipeline keeps one apart:
    /// <c>IF-II-L-v1.0/image_noising_scheduler</c>); null: the stage's own schedule.
    /// </summary>
    [JsonPropertyName("noising_scheduler")] public string? NoisingSchedulerFolder { get; init; }
}

public sealed record StageDefaults
{
    [JsonPropertyName("sampler")] public string Sampler { get; init; } = "ddim";
    [JsonPropertyName("steps")] public int Steps { get; init; } = 50;
    [JsonPropertyName("guidance_scale")] public double GuidanceScale { get; init; } = 4.0;

    /// <summary>Noise-conditioning augmentation level (a training timestep) for super-resolution stages.</summary>
    [JsonPropertyName("noise_level")] public int NoiseLevel { get; init; } = 250;

    [JsonPropertyName("eta")] public double Eta { get; init; }
}
