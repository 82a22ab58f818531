namespace TextToImage.Api.Contracts;

/// <summary>A model this service runs.</summary>
/// <param name="Default">Whether requests that name no model get this one.</param>
/// <param name="Loaded">Whether this process has it in memory (only processes that run jobs load models).</param>
/// <param name="Resolutions">The output sizes a request may ask for, one per stage.</param>
public sealed record ModelResource(string Name, string? License, string? Description, string TextEncoder, bool Default, bool Loaded,
    IReadOnlyList<int> Resolutions, IReadOnlyList<ModelStageResource> Stages);

/// <summary>One stage of a model's cascade and its defaults.</summary>
/// <param name="Kind"><c>base</c> or <c>super_resolution</c>.</param>
/// <param name="NoiseLevel">Noise-conditioning augmentation level (super-resolution stages).</param>
public sealed record ModelStageResource(string Name, string Kind, int Resolution, string Sampler, int Steps, double GuidanceScale, int? NoiseLevel);
