using Microsoft.Extensions.Options;
using TextToImage.Api.Infrastructure;
using TextToImage.Service.Jobs;
using TextToImage.Service.Requests;

namespace TextToImage.Api.Endpoints;

/// <summary>What the generation handlers need, bound as one parameter.</summary>
sealed record GenerationServices(
    IJobStore Store,
    GenerationReads Reads,
    GenerationRequestValidator Validator,
    GenerationSubmitter Submitter,
    GenerationCanceller Canceller,
    JobDeletion Deletion,
    ApiKeys Keys,
    IOptions<ApiOptions> Options);
