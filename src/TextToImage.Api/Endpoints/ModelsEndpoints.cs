using Microsoft.AspNetCore.Http.HttpResults;
using TextToImage.Api.Contracts;
using TextToImage.Diffusion.Pipelines;
using TextToImage.Diffusion.Samplers;
using TextToImage.Service.Requests;
using TextToImage.Service.Models;

namespace TextToImage.Api.Endpoints;

/// <summary>/v1/models: what can be generated, at which sizes, with which defaults.</summary>
static class ModelsEndpoints
{
    public static RouteGroupBuilder MapModelsApi(this RouteGroupBuilder v1)
    {
        v1.MapGet("/models", List).WithTags("Models").WithName("ListModels").WithSummary("List the models");
        return v1;
    }

    /// <summary>The models this service runs: their stages, resolutions and defaults.</summary>
    /// <remarks>The <c>model</c> of a request names one of these; without it, the first (the default model) runs.</remarks>
    static Ok<IReadOnlyList<ModelResource>> List(ModelCatalog catalog, CascadeEngine engine) =>
        TypedResults.Ok<IReadOnlyList<ModelResource>>(catalog.All.OrderBy(m => m.Name, StringComparer.Ordinal).Select(model => new ModelResource(
            model.Name, model.License, model.Description, model.TextEncoder, model.Name == catalog.DefaultName, engine.IsLoaded(model.Name),
            model.Resolutions,
            model.Stages.Select(s => new ModelStageResource(s.Name, s.Kind == StageKind.Base ? "base" : "super_resolution", s.Resolution,
                s.Defaults.Sampler, s.Defaults.Steps, s.Defaults.GuidanceScale, s.Kind == StageKind.SuperResolution ? s.Defaults.NoiseLevel : null)).ToList(),
            Limits(model), model.PromptVocabulary))
            .ToList());

    static ModelLimitsResource Limits(ModelInfo model) => new(SchedulerFactory.SamplerNames, GenerationRequestValidator.MaxImages, model.BaseTrainTimesteps,
        StageSettings.MaxGuidanceScale, GenerationRequestValidator.MaxPromptLength, GenerationRequestValidator.MaxSeed,
        GenerationRequestValidator.MaxJumpLength, GenerationRequestValidator.MaxJumpCount, model.Stages.Count > 1 ? model.Stages[1].TrainTimesteps - 1 : null);
}
