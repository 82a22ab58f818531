using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using TextToImage.Service.Jobs;

namespace TextToImage.Api.Infrastructure;

/// <summary>
/// Optional API keys: with none configured the API is open; with some, every /v1 request must
/// present one as <c>X-Api-Key</c> or <c>Authorization: Bearer</c>, and a job belongs to the key that
/// made it: other keys get a 404 for it, as if it did not exist; operator keys (<c>Api:AdminKeys</c>)
/// see every job. Keys are compared in constant time.
/// </summary>
sealed class ApiKeys(IOptions<ApiOptions> options)
{
    public const string HeaderName = "X-Api-Key";

    readonly byte[][] admins = options.Value.AdminKeys.Where(k => k.Length > 0).Select(Encoding.UTF8.GetBytes).ToArray();
    readonly byte[][] keys = options.Value.ApiKeys.Concat(options.Value.AdminKeys).Where(k => k.Length > 0).Select(Encoding.UTF8.GetBytes).ToArray();

    public bool Required => keys.Length > 0;

    /// <summary>The key the request presents, whether or not it is valid.</summary>
    public static string? Presented(HttpRequest request)
    {
        if (request.Headers[HeaderName] is [{ Length: > 0 } key]) return key;
        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization["Bearer ".Length..].Trim() : null;
    }

    public bool IsValid(string? presented) => Matches(keys, presented);

    static bool Matches(byte[][] candidates, string? presented)
    {
        if (presented is null) return false;
        var bytes = Encoding.UTF8.GetBytes(presented);
        var valid = false;
        foreach (var key in candidates) valid |= CryptographicOperations.FixedTimeEquals(key, bytes);
        return valid;
    }

    /// <summary>Whom a job made by this request belongs to: the caller when keys are configured, else nobody.</summary>
    public string? OwnerFor(HttpContext context) => Required ? CallerOf(context) : null;

    /// <summary>Whose jobs this request may see: null for everyone's (no keys configured, or an operator key).</summary>
    public string? VisibleOwner(HttpContext context) =>
        !Required || Matches(admins, Presented(context.Request)) ? null : CallerOf(context);

    /// <summary>Whether this request may see <paramref name="record"/>; when not, it is answered as absent.</summary>
    public bool MaySee(HttpContext context, GenerationRecord record) => VisibleOwner(context) is not { } owner || record.Owner == owner;

    /// <summary>
    /// Who is calling, for rate limits and idempotency scopes: a digest of a valid key, else the
    /// client address. With no keys configured every caller is its address: a header anyone can
    /// make up must not buy a fresh rate limit with each new value.
    /// </summary>
    public string CallerOf(HttpContext context) => Presented(context.Request) is { } key && Required && IsValid(key)
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
        // OpenAI's clients read only OpenAI's error shape.
        if (OpenAI.OpenAIImagesEndpoints.IsOpenAIPath(context.HttpContext.Request.Path))
            return new OpenAI.OpenAIError("Incorrect API key provided.", OpenAI.OpenAIError.InvalidRequest, null, "invalid_api_key").ToResult(StatusCodes.Status401Unauthorized);
        return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "An API key is required.",
            detail: $"Send a valid key in the {ApiKeys.HeaderName} header or as 'Authorization: Bearer <key>'.");
    }
}
