namespace TextToImage.Api.Contracts;

/// <summary>A model this service runs.</summary>
/// <param name="Default">Whether requests that name no model get this one.</param>
/// <param name="Loaded">Whether this process has it in memory (only processes that run jobs load models).</param>
/// <param name="Resolutions">The output sizes a request may ask for, one per stage.</param>
/// <param name="Limits">The largest values a request for this model may use.</param>
/// <param name="PromptVocabulary">Whether the model draws each prompt as the nearest of its training subjects, in that subject's first
/// caption (a model that knows a closed set of subjects); each image's metadata then names that caption as <c>drawn_as</c>.</param>
public sealed record ModelResource(string Name, string? License, string? Description, string TextEncoder, bool Default, bool Loaded,
    IReadOnlyList<int> Resolutions, IReadOnlyList<ModelStageResource> Stages, ModelLimitsResource Limits, bool PromptVocabulary);

/// <summary>What a request may ask of a model: beyond these it is answered 400.</summary>
/// <param name="Samplers">The sampler names a request may give.</param>
/// <param name="MaxSteps">Sampler steps of the base stage (its training timesteps).</param>
/// <param name="MaxNoiseLevel">An upscale's noise-conditioning level (the first super-resolution stage's training timesteps, less one); null without one.</param>
public sealed record ModelLimitsResource(IReadOnlyList<string> Samplers, int MaxImages, int MaxSteps, double MaxGuidanceScale, int MaxPromptLength,
    long MaxSeed, int MaxJumpLength, int MaxJumpCount, int? MaxNoiseLevel);

/// <summary>One stage of a model's cascade and its defaults.</summary>
/// <param name="Kind"><c>base</c> or <c>super_resolution</c>.</param>
/// <param name="NoiseLevel">Noise-conditioning augmentation level (super-resolution stages).</param>
public sealed record ModelStageResource(string Name, string Kind, int Resolution, string Sampler, int Steps, double GuidanceScale, int? NoiseLevel);
