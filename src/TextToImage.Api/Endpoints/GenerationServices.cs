using Microsoft.Extensions.Options;
using TextToImage.Api.Infrastructure;
using TextToImage.Service.Hosting;
using TextToImage.Service.Jobs;
using TextToImage.Service.Webhooks;
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
    IOptions<ApiOptions> Options,
    IOptions<WebhooksOptions> Webhooks)
{
    /// <summary>Adds a refusal of the job's webhook to <paramref name="errors"/>: an address on a private network (unless allowed), or a host that does not resolve.</summary>
    public async Task CheckWebhookAsync(GenerationParameters? parameters, IDictionary<string, string[]> errors, CancellationToken cancellation)
    {
        if (parameters?.Webhook is { } url && await WebhookAddressPolicy.RefusalAsync(url, Webhooks.Value.AllowPrivateNetworks, cancellation) is { } refusal)
            errors["webhook"] = [refusal];
    }
}
