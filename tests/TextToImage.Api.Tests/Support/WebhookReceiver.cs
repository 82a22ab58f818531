using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using StandardWebhooks;

namespace TextToImage.Api.Tests.Support;

/// <summary>
/// A webhook endpoint on 127.0.0.1 (Kestrel) that verifies every delivery with the Standard Webhooks reference
/// library and records it, answering as <see cref="Answer"/> says (204 unless a test makes it fail).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    public const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    readonly WebApplication app;
    readonly StandardWebhook verifier = new(Secret);

    public ConcurrentQueue<Delivery> Received { get; } = new();

    /// <summary>The status to answer a delivery with, by its event header; 204 by default.</summary>
    public Func<string, int> Answer { get; set; } = _ => StatusCodes.Status204NoContent;

    public string Url { get; }

    WebhookReceiver(WebApplication app, string url)
    {
        this.app = app;
        Url = url;
    }

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        WebhookReceiver? receiver = null;
        app.MapPost("/hook", async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            var verified = true;
            try
            {
                receiver!.verifier.Verify(body, http.Request.Headers);
            }
            catch (StandardWebhooks.Diagnostics.WebhookVerificationException)
            {
                verified = false;
            }
            var @event = http.Request.Headers["TextToImage-Event"].ToString();
            var status = receiver!.Answer(@event);
            receiver.Received.Enqueue(new Delivery(http.Request.Headers["webhook-id"].ToString(), @event, body, verified, status));
            return Results.StatusCode(status);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        receiver = new WebhookReceiver(app, $"{address}/hook");
        return receiver;
    }

    /// <summary>Waits until a delivery matching <paramref name="condition"/> has been answered with a 2xx; the guard is a failure.</summary>
    public async Task<Delivery> WaitForAcknowledged(Func<Delivery, bool> condition, TimeSpan? guard = null)
    {
        var until = DateTime.UtcNow + (guard ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < until)
        {
            if (Received.FirstOrDefault(d => d.Status is >= 200 and < 300 && condition(d)) is { } found) return found;
            await Task.Delay(50);
        }
        throw new TimeoutException($"No matching delivery was acknowledged; received: {string.Join(", ", Received.Select(d => $"{d.Id} ({d.Status})"))}");
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    /// <param name="Verified">Whether its signature, id and timestamp passed the reference verifier.</param>
    /// <param name="Status">What the receiver answered.</param>
    public sealed record Delivery(string Id, string Event, string Body, bool Verified, int Status);
}
