using System.Globalization;
using TextToImage.Diffusion.Pipelines;
using TextToImage.Diffusion.Samplers;
using TextToImage.Service.Jobs;
using TextToImage.Service.Models;

namespace TextToImage.Service.Requests;

/// <summary>
/// Checks a request against the limits and the chosen model, field by field, and resolves every
/// default, so a queued job can only fail for reasons a request cannot foresee.
/// </summary>
public sealed class GenerationRequestValidator(ModelCatalog catalog)
{
    public const int MaxPromptLength = 1000;
    public const int MaxImages = 4;
    public const long MaxSeed = (1L << 53) - 1;

    /// <returns>The normalized parameters, or null with <paramref name="errors"/> keyed by camelCase field name.</returns>
    public GenerationParameters? Validate(CreateGenerationRequest request, out IDictionary<string, string[]> errors)
    {
        var found = new Dictionary<string, List<string>>();
        void Error(string field, string message)
        {
            if (!found.TryGetValue(field, out var list)) found[field] = list = [];
            list.Add(message);
        }

        if (request.Prompt is null) Error("prompt", "The prompt is required (the empty string asks for unconditional generation).");
        else if (request.Prompt.Length > MaxPromptLength) Error("prompt", $"The prompt has {request.Prompt.Length} characters; the limit is {MaxPromptLength}.");
        if (request.NegativePrompt is { Length: > MaxPromptLength })
            Error("negativePrompt", $"The negative prompt has {request.NegativePrompt.Length} characters; the limit is {MaxPromptLength}.");
        if (request.NumImages is < 1 or > MaxImages) Error("numImages", $"numImages must be between 1 and {MaxImages}.");
        if (request.Seed is < 0 or > MaxSeed) Error("seed", $"The seed must be between 0 and {MaxSeed.ToString(CultureInfo.InvariantCulture)}.");
        if (request.GuidanceScale is { } guidance && (double.IsNaN(guidance) || guidance < 0 || guidance > StageSettings.MaxGuidanceScale))
            Error("guidanceScale", $"guidanceScale must be between 0 and {StageSettings.MaxGuidanceScale}.");
        if (request.Sampler is { } sampler && !SchedulerFactory.SamplerNames.Contains(sampler))
            Error("sampler", $"Unknown sampler '{sampler}'; use one of: {string.Join(", ", SchedulerFactory.SamplerNames)}.");

        var modelName = request.Model ?? catalog.DefaultName;
        var model = catalog.Find(modelName);
        if (model is null)
        {
            Error("model", modelName is null
                ? "No model is configured on this service."
                : $"Unknown model '{modelName}'; available: {string.Join(", ", catalog.All.Select(m => m.Name))}.");
        }
        else
        {
            if (request.Resolution is { } resolution && !model.Resolutions.Contains(resolution))
                Error("resolution", $"Model '{model.Name}' makes images of {string.Join(", ", model.Resolutions)} pixels, not {resolution}.");
            if (request.Steps is < 1 || request.Steps > model.BaseTrainTimesteps)
                Error("steps", $"steps must be between 1 and {model.BaseTrainTimesteps} for model '{model.Name}'.");
        }

        errors = found.ToDictionary(e => e.Key, e => e.Value.ToArray());
        if (errors.Count > 0 || model is null) return null;
        var defaults = model.BaseDefaults;
        return new GenerationParameters
        {
            Prompt = request.Prompt!,
            NegativePrompt = string.IsNullOrEmpty(request.NegativePrompt) ? null : request.NegativePrompt,
            NumImages = request.NumImages ?? 1,
            Seed = request.Seed ?? Random.Shared.NextInt64(0, 1L << 32),
            GuidanceScale = request.GuidanceScale ?? defaults.GuidanceScale,
            Steps = request.Steps ?? defaults.Steps,
            Sampler = request.Sampler ?? SchedulerFactory.SamplerName(SchedulerFactory.ParseSampler(defaults.Sampler)),
            Resolution = request.Resolution ?? model.Resolutions.Max(),
            Model = model.Name,
        };
    }
}
