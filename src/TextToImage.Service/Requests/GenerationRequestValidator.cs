using System.Globalization;
using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Pipelines;
using TextToImage.Diffusion.Samplers;
using Microsoft.Extensions.Options;
using TextToImage.Service.Hosting;
using TextToImage.Service.Jobs;
using TextToImage.Service.Webhooks;
using TextToImage.Service.Models;

namespace TextToImage.Service.Requests;

/// <summary>
/// Checks a request against the limits and the chosen model, field by field, and resolves every
/// default, so a queued job can only fail for reasons a request cannot foresee.
/// </summary>
public sealed class GenerationRequestValidator(ModelCatalog catalog, IOptions<WebhooksOptions> webhooks)
{
    public const int MaxPromptLength = 1000;
    public const int MaxImages = 4;
    public const long MaxSeed = (1L << 53) - 1;
    public const int MaxJumpLength = 50, MaxJumpCount = 10;

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

        var format = OutputFormat.Png;
        var formatKnown = request.OutputFormat is null || ImageEncoding.TryParseFormat(request.OutputFormat, out format);
        if (!formatKnown)
            Error("outputFormat", $"Unknown output format '{request.OutputFormat}'; use one of: {string.Join(", ", ImageEncoding.Names)}.");
        if (request.OutputQuality is { } quality)
        {
            if (quality is < ImageEncoding.MinQuality or > ImageEncoding.MaxQuality)
                Error("outputQuality", $"outputQuality must be between {ImageEncoding.MinQuality} and {ImageEncoding.MaxQuality}.");
            else if (formatKnown && format == OutputFormat.Png)
                Error("outputQuality", "outputQuality applies to webp and jpeg; PNG is lossless (set outputFormat).");
        }

        if (request.Webhook is { } webhook)
        {
            if (webhooks.Value.Secret is null) Error("webhook", "This service sends no webhooks: it has no signing secret (Webhooks:Secret).");
            else if (WebhookAddressPolicy.ShapeProblem(webhook) is { } shape) Error("webhook", shape);
        }
        if (request.WebhookEventsFilter is { } events)
        {
            if (request.Webhook is null) Error("webhookEventsFilter", "webhookEventsFilter needs a webhook.");
            if (events.Count == 0 || events.Any(e => !WebhookEvents.All.Contains(e)))
                Error("webhookEventsFilter", $"webhookEventsFilter lists one or more of: {string.Join(", ", WebhookEvents.All)}.");
        }

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
            Sampler = request.Sampler ?? SamplerOf(defaults),
            Resolution = request.Resolution ?? model.Resolutions.Max(),
            Model = model.Name,
            Reproducible = request.Reproducible ?? false,
            OutputFormat = ImageEncoding.NameOf(format),
            OutputQuality = format == OutputFormat.Png ? null : request.OutputQuality ?? ImageEncoding.DefaultQuality,
            Webhook = request.Webhook,
            WebhookEventsFilter = request.Webhook is null ? null : request.WebhookEventsFilter?.Distinct().ToList() ?? [.. WebhookEvents.All],
        };
    }

    /// <summary>A stage's default sampler as requests spell it (the model folder may use another alias).</summary>
    static string SamplerOf(StageDefaults defaults) => SchedulerFactory.SamplerName(SchedulerFactory.ParseSampler(defaults.Sampler));

    /// <summary>An edit: the generation fields, plus strength and RePaint resampling; <paramref name="hasMask"/> says whether a mask came.</summary>
    public GenerationParameters? ValidateEdit(CreateEditRequest request, bool hasMask, out IDictionary<string, string[]> errors)
    {
        var parameters = Validate(new CreateGenerationRequest
        {
            Prompt = request.Prompt ?? "",
            NegativePrompt = request.NegativePrompt,
            Seed = request.Seed,
            Steps = request.Steps,
            GuidanceScale = request.GuidanceScale,
            Sampler = request.Sampler,
            Resolution = request.Resolution,
            Model = request.Model,
            OutputFormat = request.OutputFormat,
            OutputQuality = request.OutputQuality,
            Webhook = request.Webhook,
            WebhookEventsFilter = request.WebhookEventsFilter,
        }, out errors);
        if (request.Strength is { } strength && (double.IsNaN(strength) || strength < 0 || strength > 1))
            errors["strength"] = ["strength must be between 0 and 1."];
        if (request.JumpLength is < 0 or > MaxJumpLength) errors["jumpLength"] = [$"jumpLength must be between 0 and {MaxJumpLength}."];
        if (request.JumpCount is < 0 or > MaxJumpCount) errors["jumpCount"] = [$"jumpCount must be between 0 and {MaxJumpCount}."];
        if (!hasMask && (request.JumpLength > 0 || request.JumpCount > 0))
            errors["mask"] = ["RePaint resampling (jumpLength, jumpCount) needs a mask."];
        if (parameters is null || errors.Count > 0) return null;
        return parameters with
        {
            Kind = JobKinds.Edit,
            Strength = request.Strength ?? (hasMask ? 1.0 : 0.8),
            JumpLength = hasMask ? request.JumpLength ?? 0 : null,
            JumpCount = hasMask ? request.JumpCount ?? 0 : null,
        };
    }

    /// <summary>An upscale: a super-resolution resolution of the model and a noise level its stages accept.</summary>
    public GenerationParameters? ValidateUpscale(CreateUpscaleRequest request, out IDictionary<string, string[]> errors)
    {
        var parameters = Validate(new CreateGenerationRequest
        {
            Prompt = request.Prompt ?? "",
            Seed = request.Seed,
            Resolution = request.Resolution,
            Model = request.Model,
            OutputFormat = request.OutputFormat,
            OutputQuality = request.OutputQuality,
            Webhook = request.Webhook,
            WebhookEventsFilter = request.WebhookEventsFilter,
        }, out errors);
        var model = catalog.Find(request.Model ?? catalog.DefaultName);
        if (model is not null)
        {
            if (model.Stages.Count < 2) errors["model"] = [$"Model '{model.Name}' has no super-resolution stage."];
            else
            {
                if (request.Resolution == model.Resolutions[0])
                    errors["resolution"] = [$"An upscale makes one of {string.Join(", ", model.Resolutions.Skip(1))} pixels; {model.Resolutions[0]} is the input size."];
                var timesteps = model.Stages.Skip(1).Min(s => s.TrainTimesteps);
                if (request.NoiseLevel is < 0 || request.NoiseLevel >= timesteps)
                    errors["noiseLevel"] = [$"noiseLevel must be between 0 and {timesteps - 1}."];
            }
        }
        if (parameters is null || errors.Count > 0) return null;
        // The record says what runs: no base stage does, so steps, sampler and guidance are the first
        // super-resolution stage's, and the noise level is resolved like every other default.
        var firstSuperResolution = model!.Stages[1].Defaults;
        return parameters with
        {
            Kind = JobKinds.Upscale,
            NoiseLevel = request.NoiseLevel ?? firstSuperResolution.NoiseLevel,
            Steps = firstSuperResolution.Steps,
            Sampler = SamplerOf(firstSuperResolution),
            GuidanceScale = firstSuperResolution.GuidanceScale,
        };
    }
}
