using System.Net;
using System.Net.Sockets;

namespace TextToImage.Service.Webhooks;

/// <summary>
/// Server-side request forgery protection: unless <c>Webhooks:AllowPrivateNetworks</c>, a webhook may
/// only reach public addresses. Checked when a job is submitted (every address its host resolves to) and
/// again on every connection (against DNS that changes its answer in between).
/// </summary>
public static class WebhookAddressPolicy
{
    public const int MaxUrlLength = 2048;

    /// <summary>Why <paramref name="url"/> is not a webhook URL this service sends to; null when it is.</summary>
    public static async Task<string?> RefusalAsync(string url, bool allowPrivate, CancellationToken cancellation)
    {
        if (ShapeProblem(url) is { } shape) return shape;
        if (allowPrivate) return null;
        var uri = new Uri(url);
        IPAddress[] addresses;
        try
        {
            addresses = await ResolveAsync(uri.IdnHost, cancellation);
        }
        catch (SocketException e)
        {
            return $"The webhook host '{uri.Host}' does not resolve: {e.Message}";
        }
        return addresses.Length == 0
            ? $"The webhook host '{uri.Host}' does not resolve."
            : addresses.FirstOrDefault(a => !IsPublic(a)) is { } inner
                ? $"The webhook host '{uri.Host}' resolves to {inner}, a loopback, link-local or private address; such webhooks are refused (Webhooks:AllowPrivateNetworks)."
                : null;
    }

    /// <summary>The addresses <paramref name="host"/> stands for: itself when it is an IP literal, else what DNS answers now.</summary>
    public static async Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellation) =>
        IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellation);

    /// <summary>An absolute http(s) URL of at most <see cref="MaxUrlLength"/> characters; null when it is one.</summary>
    public static string? ShapeProblem(string url) =>
        url.Length > MaxUrlLength ? $"The webhook URL has {url.Length} characters; the limit is {MaxUrlLength}."
        : !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host)
            ? "The webhook must be an absolute http or https URL."
            : null;

    /// <summary>Whether <paramref name="address"/> is on the public internet (not loopback, private, link-local, shared, multicast, reserved).</summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] is 0 or 10 or 127 or >= 224
                     || (b[0] == 100 && b[1] is >= 64 and < 128)        // shared address space (carrier NAT)
                     || (b[0] == 169 && b[1] == 254)                     // link-local, cloud metadata
                     || (b[0] == 172 && b[1] is >= 16 and < 32)
                     || (b[0] == 192 && b[1] == 168)
                     || (b[0] == 192 && b[1] == 0 && b[2] is 0 or 2)     // IETF protocol assignments, documentation
                     || (b[0] == 198 && b[1] is 18 or 19)                // benchmarking
                     || (b[0] == 198 && b[1] == 51 && b[2] == 100) || (b[0] == 203 && b[1] == 0 && b[2] == 113));
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return false;
        var v6 = address.GetAddressBytes();
        return !(IPAddress.IsLoopback(address) || address.Equals(IPAddress.IPv6None) || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal
                 || address.IsIPv6Multicast || (v6[0] & 0xFE) == 0xFC                // unique local fc00::/7
                 || (v6[0] == 0x20 && v6[1] == 0x01 && v6[2] == 0x0D && v6[3] == 0xB8));   // documentation 2001:db8::/32
    }
}
