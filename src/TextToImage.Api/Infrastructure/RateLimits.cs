using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace TextToImage.Api.Infrastructure;

/// <summary>A token bucket per caller (API key, else client address) on /v1; 429 problem details with Retry-After.</summary>
static class RateLimits
{
    public const string PerCaller = "per-caller";

    public static IServiceCollection AddPerCallerRateLimit(this IServiceCollection services) =>
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(PerCaller, context =>
            {
                var api = Options(context);
                return api.RateLimitPerSecond <= 0
                    ? RateLimitPartition.GetNoLimiter("unlimited")
                    : RateLimitPartition.GetTokenBucketLimiter(context.RequestServices.GetRequiredService<ApiKeys>().CallerOf(context), _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = Math.Max(api.RateLimitBurst, api.RateLimitPerSecond),
                        TokensPerPeriod = api.RateLimitPerSecond,
                        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    });
            });
            limiter.OnRejected = async (rejected, cancellation) =>
            {
                var api = Options(rejected.HttpContext);
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
                rejected.HttpContext.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                await rejected.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = rejected.HttpContext,
                    ProblemDetails = { Status = StatusCodes.Status429TooManyRequests, Title = "Too many requests.",
                        Detail = $"This client is over its rate of {api.RateLimitPerSecond} requests a second; retry after {retryAfter} s." },
                });
            };
        });

    /// <summary>The validated <c>Api</c> settings.</summary>
    static ApiOptions Options(HttpContext context) => context.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value;
}
