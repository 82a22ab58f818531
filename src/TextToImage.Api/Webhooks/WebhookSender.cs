using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using TextToImage.Api.Contracts;
using TextToImage.Service.Hosting;
using TextToImage.Service.Jobs;
using TextToImage.Service.Telemetry;
using TextToImage.Service.Webhooks;

namespace TextToImage.Api.Webhooks;

/// <summary>
/// Sends the webhook deliveries the job store owes, from every API process (each claims different
/// ones). The body is the job as GET /v1/generations/{id} shows it at the time of sending; the
/// headers are Standard Webhooks' (<c>webhook-id</c> stable across attempts, <c>webhook-timestamp</c>
/// of this attempt, <c>webhook-signature</c>) and <c>TextToImage-Event</c>. A 2xx ends a delivery;
/// anything else, a redirect included (never followed), is tried again later, up to Webhooks:MaxAttempts.
/// </summary>
sealed class WebhookSender(IWebhookOutbox outbox, IJobStore store, IOptions<WebhooksOptions> options,
    IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, ServiceMetrics metrics, TimeProvider clock, ILogger<WebhookSender> log) : BackgroundService
{
    public const string EventHeader = "TextToImage-Event";
    const int BatchSize = 16;
    static readonly TimeSpan LongestRetryDelay = TimeSpan.FromHours(4);

    WebhooksOptions Options => options.Value;

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        // Without a secret no job can ask for a webhook, so nothing is ever owed.
        if (Options.Secret is null) return;
        var signer = new WebhookSigner(Options.Secret);
        using var http = Client();
        using var timer = new PeriodicTimer(Options.PollInterval, clock);
        do
        {
            try
            {
                var now = clock.GetUtcNow();
                var due = await outbox.ClaimDueAsync(now, now + 2 * Options.Timeout, BatchSize, stop);
                await Task.WhenAll(due.Select(delivery => Deliver(delivery, http, signer, stop)));
            }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                log.LogWarning("Webhook deliveries could not be read or updated: {Reason}", e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stop));
    }

    async Task Deliver(WebhookDelivery delivery, HttpClient http, WebhookSigner signer, CancellationToken stop)
    {
        if (await store.GetAsync(delivery.JobId, stop) is not { } record)
        {
            await outbox.AbandonAsync(delivery.Id, clock.GetUtcNow(), "The job was deleted.", stop);
            metrics.WebhookDelivery("abandoned");
            return;
        }
        var body = JsonSerializer.Serialize(record.ToResource(null, record.ApiBaseUrl ?? ""), json.Value.SerializerOptions);
        var timestamp = clock.GetUtcNow();
        using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("webhook-id", delivery.Id);
        request.Headers.Add("webhook-timestamp", timestamp.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", signer.Sign(delivery.Id, timestamp, body));
        request.Headers.Add(EventHeader, delivery.Event);

        string failure;
        try
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stop);
            attempt.CancelAfter(Options.Timeout);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attempt.Token);
            if (response.IsSuccessStatusCode)
            {
                await outbox.MarkDeliveredAsync(delivery.Id, clock.GetUtcNow(), CancellationToken.None);
                metrics.WebhookDelivery("delivered");
                return;
            }
            failure = $"HTTP {(int)response.StatusCode}";
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            failure = $"no answer within {Options.Timeout.TotalSeconds:0.#} s";
        }
        catch (HttpRequestException e)
        {
            failure = e.Message;
        }

        if (delivery.Attempts >= Options.MaxAttempts)
        {
            log.LogWarning("Webhook {Id} ({Event}) to {Url} abandoned after {Attempts} attempts: {Failure}.", delivery.Id, delivery.Event, delivery.Url, delivery.Attempts, failure);
            await outbox.AbandonAsync(delivery.Id, clock.GetUtcNow(), failure, CancellationToken.None);
            metrics.WebhookDelivery("abandoned");
            return;
        }
        var delay = RetryDelay(delivery.Attempts);
        log.LogInformation("Webhook {Id} ({Event}) attempt {Attempts} failed: {Failure}; next in {Delay}.", delivery.Id, delivery.Event, delivery.Attempts, failure, delay);
        await outbox.RescheduleAsync(delivery.Id, clock.GetUtcNow() + delay, failure, CancellationToken.None);
        metrics.WebhookDelivery("retrying");
    }

    /// <summary>The wait after failed attempt <paramref name="attempts"/>: fivefold each time from Webhooks:FirstRetryDelay, at most 4 hours.</summary>
    TimeSpan RetryDelay(int attempts)
    {
        var seconds = Options.FirstRetryDelay.TotalSeconds * Math.Pow(5, Math.Max(0, attempts - 1));
        return seconds >= LongestRetryDelay.TotalSeconds ? LongestRetryDelay : TimeSpan.FromSeconds(seconds);
    }

    /// <summary>
    /// No redirects and no proxy, and a connection only to the addresses the policy allows, checked when
    /// connecting: a host that resolved to a public address at submission cannot turn private later.
    /// </summary>
    HttpClient Client()
    {
        var allowPrivate = Options.AllowPrivateNetworks;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectCallback = async (context, cancellation) =>
            {
                var host = context.DnsEndPoint.Host;
                var resolved = await WebhookAddressPolicy.ResolveAsync(host, cancellation);
                var allowed = allowPrivate ? resolved : resolved.Where(WebhookAddressPolicy.IsPublic).ToArray();
                if (allowed.Length == 0)
                    throw new HttpRequestException($"'{host}' resolves to no public address; webhooks to private networks are refused (Webhooks:AllowPrivateNetworks).");
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellation);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }
}
