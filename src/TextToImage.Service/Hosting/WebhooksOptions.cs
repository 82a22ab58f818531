using Microsoft.Extensions.Options;
using TextToImage.Service.Webhooks;

namespace TextToImage.Service.Hosting;

/// <summary>The <c>Webhooks</c> section: the signing secret, where deliveries may go, and how they are retried.</summary>
public sealed class WebhooksOptions
{
    public const string Section = "Webhooks";

    /// <summary>
    /// The Standard Webhooks signing secret, <c>whsec_</c> and base64 of 24 to 64 random bytes; receivers verify
    /// <c>webhook-signature</c> with it. Without one, jobs cannot ask for webhooks.
    /// </summary>
    public string? Secret { get; set; }

    /// <summary>Whether webhook URLs may point at loopback, link-local and private addresses (off: SSRF protection).</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>Attempts per delivery before it is abandoned; the waits between them grow fivefold from <see cref="FirstRetryDelay"/>, up to 4 hours.</summary>
    public int MaxAttempts { get; set; } = 8;

    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one delivery attempt may take; a claim on a delivery lasts twice this.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the sender looks for deliveries that are due.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
}

public sealed class WebhooksOptionsValidator : IValidateOptions<WebhooksOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhooksOptions options)
    {
        var problems = new List<string>();
        if (options.Secret is not null && WebhookSigner.SecretProblem(options.Secret) is { } secret) problems.Add($"Webhooks:Secret {secret}");
        if (options.MaxAttempts is < 1 or > 20) problems.Add($"Webhooks:MaxAttempts must be between 1 and 20, not {options.MaxAttempts}");
        foreach (var (key, value) in new[] { ("FirstRetryDelay", options.FirstRetryDelay), ("Timeout", options.Timeout), ("PollInterval", options.PollInterval) })
            if (value <= TimeSpan.Zero) problems.Add($"Webhooks:{key} must be positive, not {value}");
        return OptionsValidation.Result(problems);
    }
}
