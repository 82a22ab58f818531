using System.Net;
using System.Security.Cryptography;
using System.Text;
using TextToImage.Service.Webhooks;

namespace TextToImage.Service.Tests.Webhooks;

public sealed class WebhookAddressPolicyTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("10.1.2.3")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")]   // cloud metadata
    [InlineData("100.64.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.1")]
    [InlineData("::1")]
    [InlineData("::")]
    [InlineData("fe80::1")]
    [InlineData("fd00::1")]
    [InlineData("::ffff:10.0.0.1")]   // IPv4-mapped private
    [InlineData("2001:db8::1")]
    public void Private_and_reserved_addresses_are_not_public(string address) => Assert.False(WebhookAddressPolicy.IsPublic(IPAddress.Parse(address)));

    [Theory]
    [InlineData("93.184.216.34")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("2606:4700::1111")]
    [InlineData("::ffff:8.8.8.8")]
    public void Internet_addresses_are_public(string address) => Assert.True(WebhookAddressPolicy.IsPublic(IPAddress.Parse(address)));

    [Theory]
    [InlineData("http://127.0.0.1:8080/hook", "resolves to 127.0.0.1")]
    [InlineData("http://localhost/hook", "a loopback, link-local or private address")]
    [InlineData("http://[::1]/hook", "resolves to ::1")]
    [InlineData("ftp://example.com/hook", "absolute http or https URL")]
    [InlineData("/relative/hook", "absolute http or https URL")]
    public async Task Refused_urls_say_why(string url, string reason) =>
        Assert.Contains(reason, await WebhookAddressPolicy.RefusalAsync(url, allowPrivate: false, CancellationToken.None));

    [Fact]
    public async Task Public_literals_pass_and_private_ones_pass_when_allowed()
    {
        Assert.Null(await WebhookAddressPolicy.RefusalAsync("https://93.184.216.34/hook", allowPrivate: false, CancellationToken.None));
        Assert.Null(await WebhookAddressPolicy.RefusalAsync("http://127.0.0.1:9/hook", allowPrivate: true, CancellationToken.None));
        Assert.Contains("limit is 2048", await WebhookAddressPolicy.RefusalAsync("https://example.com/" + new string('a', 2048), true, CancellationToken.None));
    }

    [Fact]
    public void The_signature_is_hmac_sha256_of_id_timestamp_and_body_with_the_secret_bytes()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var signer = new WebhookSigner(WebhookSigner.Prefix + Convert.ToBase64String(key));
        var at = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        var expected = Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes("msg_1.1700000000.{\"a\":1}")));
        Assert.Equal($"v1,{expected}", signer.Sign("msg_1", at, "{\"a\":1}"));
    }

    [Theory]
    [InlineData("abc", "must start with 'whsec_'")]
    [InlineData("whsec_***", "followed by base64")]
    [InlineData("whsec_AAAA", "24 to 64 bytes")]
    public void Unusable_secrets_are_named(string secret, string problem) => Assert.Contains(problem, WebhookSigner.SecretProblem(secret));
}
