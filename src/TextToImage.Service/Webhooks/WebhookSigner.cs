using System.Security.Cryptography;
using System.Text;

namespace TextToImage.Service.Webhooks;

/// <summary>
/// Standard Webhooks signatures: HMAC-SHA256 over <c>{webhook-id}.{webhook-timestamp}.{body}</c> with the
/// secret's bytes (base64 after <c>whsec_</c>), sent as <c>webhook-signature: v1,{base64}</c>.
/// </summary>
public sealed class WebhookSigner
{
    public const string Prefix = "whsec_";

    readonly byte[] key;

    public WebhookSigner(string secret)
    {
        if (SecretProblem(secret) is { } problem) throw new ArgumentException($"The webhook secret {problem}.", nameof(secret));
        key = Convert.FromBase64String(secret[Prefix.Length..]);
    }

    /// <summary>Why <paramref name="secret"/> is not a usable secret; null when it is.</summary>
    public static string? SecretProblem(string secret)
    {
        if (!secret.StartsWith(Prefix, StringComparison.Ordinal)) return $"must start with '{Prefix}' (then base64 of 24 to 64 random bytes)";
        var bytes = new byte[secret.Length];
        if (!Convert.TryFromBase64String(secret[Prefix.Length..], bytes, out var length)) return $"must be '{Prefix}' followed by base64";
        return length is < 24 or > 64 ? $"must hold 24 to 64 bytes after '{Prefix}', not {length}" : null;
    }

    public string Sign(string id, DateTimeOffset timestamp, string body)
    {
        var content = Encoding.UTF8.GetBytes($"{id}.{timestamp.ToUnixTimeSeconds()}.{body}");
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, content));
    }
}
