using Microsoft.Extensions.Options;
using TextToImage.Service.Hosting;

namespace TextToImage.Api.Infrastructure;

/// <summary>The <c>Api</c> section: keys, rate limits, body limits, dashboard access.</summary>
public sealed class ApiOptions
{
    public const string Section = "Api";

    /// <summary>When any are set, every /v1 request needs one (<c>X-Api-Key</c> or <c>Authorization: Bearer</c>).</summary>
    public List<string> ApiKeys { get; set; } = [];

    /// <summary>Operator keys: valid wherever an API key is, and they see (list, read, cancel) every caller's jobs.</summary>
    public List<string> AdminKeys { get; set; } = [];

    /// <summary>Requests per second per API key (or per client address without keys); 0 turns limiting off.</summary>
    public int RateLimitPerSecond { get; set; } = 50;

    /// <summary>Requests a client may make at once before the per-second rate applies.</summary>
    public int RateLimitBurst { get; set; } = 100;

    /// <summary>Largest request body accepted; larger ones are answered 413.</summary>
    public long MaxRequestBytes { get; set; } = 64 * 1024;

    /// <summary>Largest multipart upload (POST /v1/edits, /v1/upscales) accepted, all files and fields together; larger ones are answered 413.</summary>
    public long MaxUploadBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>Largest width or height of an uploaded picture, in pixels.</summary>
    public int MaxImageSide { get; set; } = 4096;

    /// <summary>Most pixels (width x height) of an uploaded picture; checked from its header, before decoding.</summary>
    public long MaxImagePixels { get; set; } = 16L * 1024 * 1024;

    /// <summary>Hangfire dashboard at /hangfire: <c>local</c> (requests from this machine only), <c>open</c>, or <c>off</c>.</summary>
    public DashboardAccess Dashboard { get; set; } = DashboardAccess.Local;

    /// <summary>Seconds a client is told to wait (Retry-After) when the queue is full.</summary>
    public int QueueFullRetryAfterSeconds { get; set; } = 10;

    /// <summary>
    /// Seconds POST /v1/images/generations (OpenAI's API) waits for its job before it answers 504 and cancels
    /// it; below the OpenAI SDKs' own 100 s network timeout by default, so they see the error.
    /// </summary>
    public int OpenAIWaitSeconds { get; set; } = 90;
}

/// <summary>Who may open the Hangfire dashboard (<see cref="ApiOptions.Dashboard"/>).</summary>
public enum DashboardAccess
{
    Local,
    Open,
    Off,
}

/// <summary>The <c>Api</c> section's rules.</summary>
public sealed class ApiOptionsValidator : IValidateOptions<ApiOptions>
{
    public ValidateOptionsResult Validate(string? name, ApiOptions options)
    {
        var problems = new List<string>();
        problems.CheckDefined("Api:Dashboard", options.Dashboard);
        if (options.ApiKeys.Concat(options.AdminKeys).Any(string.IsNullOrWhiteSpace)) problems.Add("Api:ApiKeys and Api:AdminKeys must not hold an empty key");
        foreach (var (key, value) in new[] { ("RateLimitPerSecond", (long)options.RateLimitPerSecond), ("RateLimitBurst", (long)options.RateLimitBurst),
                     ("QueueFullRetryAfterSeconds", (long)options.QueueFullRetryAfterSeconds) })
            if (value < 0) problems.Add($"Api:{key} must not be negative, not {value}");
        foreach (var (key, value) in new[] { ("MaxRequestBytes", options.MaxRequestBytes), ("MaxUploadBytes", options.MaxUploadBytes),
                     ("MaxImageSide", (long)options.MaxImageSide), ("MaxImagePixels", options.MaxImagePixels) })
            if (value <= 0) problems.Add($"Api:{key} must be positive, not {value}");
        if (options.OpenAIWaitSeconds is < 1 or > 3600) problems.Add($"Api:OpenAIWaitSeconds must be between 1 and 3600, not {options.OpenAIWaitSeconds}");
        return OptionsValidation.Result(problems);
    }
}
