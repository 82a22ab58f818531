using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace TextToImage.Api.Infrastructure;

/// <summary>
/// Optional API keys: with none configured the API is open; with some, every /v1 request must
/// present one as <c>X-Api-Key</c> or <c>Authorization: Bearer</c>. Keys are compared in constant time.
/// </summary>
sealed class ApiKeys(IOptions<ApiOptions> options)
{
    public const string HeaderName = "X-Api-Key";

    readonly byte[][] keys = options.Value.ApiKeys.Where(k => k.Length > 0).Select(Encoding.UTF8.GetBytes).ToArray();

    public bool Required => keys.Length > 0;

    /// <summary>The key the request presents, whether or not it is valid.</summary>
    public static string? Presented(HttpRequest request)
    {
        if (request.Headers[HeaderName] is [{ Length: > 0 } key]) return key;
        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization["Bearer ".Length..].Trim() : null;
    }

    public bool IsValid(string? presented)
    {
        if (presented is null) return false;
        var bytes = Encoding.UTF8.GetBytes(presented);
        var valid = false;
        foreach (var key in keys) valid |= CryptographicOperations.FixedTimeEquals(key, bytes);
        return valid;
    }

    /// <summary>
    /// Who is calling, for rate limits and idempotency scopes: a digest of a valid key (any key when
    /// none are configured), else the client address, so made-up keys do not buy fresh rate limits.
    /// </summary>
    public string CallerOf(HttpContext context) => Presented(context.Request) is { } key && (!Required || IsValid(key))
        ? "key:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16]
        : "ip:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
}

/// <summary>Rejects /v1 requests without a valid key when keys are configured.</summary>
sealed class ApiKeyFilter(ApiKeys keys) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (!keys.Required || keys.IsValid(ApiKeys.Presented(context.HttpContext.Request))) return await next(context);
        context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
        return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "An API key is required.",
            detail: $"Send a valid key in the {ApiKeys.HeaderName} header or as 'Authorization: Bearer <key>'.");
    }
}
