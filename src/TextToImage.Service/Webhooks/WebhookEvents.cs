namespace TextToImage.Service.Webhooks;

/// <summary>The events a job's webhook can be sent (<c>webhookEventsFilter</c>); all of them by default.</summary>
public static class WebhookEvents
{
    /// <summary>A worker started the job (its first start; not again on a retry).</summary>
    public const string Start = "start";

    /// <summary>A stage's images were stored: each progressive stage, then the final images.</summary>
    public const string Output = "output";

    /// <summary>The job ended: succeeded, failed or canceled.</summary>
    public const string Completed = "completed";

    public static readonly IReadOnlyList<string> All = [Start, Output, Completed];
}
