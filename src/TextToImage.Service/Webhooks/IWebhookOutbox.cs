namespace TextToImage.Service.Webhooks;

/// <summary>
/// The webhook deliveries a job store owes, written in the same transaction as the job change that
/// caused them (a start, a stage's images, the end), so none is lost to a crash between the two. One
/// delivery per job and event (its id, the <c>webhook-id</c>, is stable across retries and restarts):
/// at least once, never twice after a 2xx.
/// </summary>
public interface IWebhookOutbox
{
    /// <summary>Takes up to <paramref name="limit"/> deliveries that are due and unclaimed (or whose claim ran out) until <paramref name="claimUntil"/>, counting an attempt each.</summary>
    Task<IReadOnlyList<WebhookDelivery>> ClaimDueAsync(DateTimeOffset now, DateTimeOffset claimUntil, int limit, CancellationToken cancellation);

    Task MarkDeliveredAsync(string id, DateTimeOffset now, CancellationToken cancellation);

    Task RescheduleAsync(string id, DateTimeOffset nextAttempt, string error, CancellationToken cancellation);

    Task AbandonAsync(string id, DateTimeOffset now, string error, CancellationToken cancellation);
}

/// <summary>A delivery as the sender takes it; <see cref="Attempts"/> counts this one.</summary>
public sealed record WebhookDelivery(string Id, string JobId, string Event, string Url, int Attempts, DateTimeOffset CreatedAt);
