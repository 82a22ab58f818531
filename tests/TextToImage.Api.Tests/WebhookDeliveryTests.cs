using System.Net;
using Microsoft.AspNetCore.Http;
using System.Text.Json.Nodes;
using TextToImage.Api.Tests.Support;

namespace TextToImage.Api.Tests;

/// <summary>Webhooks from the real host to a real receiver on 127.0.0.1 that verifies every signature with the Standard Webhooks reference library.</summary>
public sealed class WebhookDeliveryTests : IAsyncLifetime
{
    WebhookReceiver receiver = null!;

    static Dictionary<string, string?> Settings(bool allowPrivate = true) => new()
    {
        ["Webhooks:Secret"] = WebhookReceiver.Secret,
        ["Webhooks:AllowPrivateNetworks"] = allowPrivate ? "true" : "false",
        ["Webhooks:FirstRetryDelay"] = "00:00:00.300",
        ["Webhooks:PollInterval"] = "00:00:00.100",
        ["Webhooks:Timeout"] = "00:00:02",
    };

    public async Task InitializeAsync() => receiver = await WebhookReceiver.StartAsync();

    public async Task DisposeAsync() => await receiver.DisposeAsync();

    [Fact]
    public async Task A_job_posts_its_start_outputs_and_end_signed_with_the_job_as_body_and_the_filter_is_kept()
    {
        using var host = new ApiHost(Settings());
        var api = host.Client();
        var done = await api.WaitUntilFinished(await api.Submit(new { prompt = "a red apple", seed = 3, resolution = 32, steps = 3, webhook = receiver.Url }));
        var id = done["id"]!.GetValue<string>();
        var completed = await receiver.WaitForAcknowledged(d => d.Id == $"{id}.completed");

        var deliveries = receiver.Received.Where(d => d.Id.StartsWith(id)).ToList();
        Assert.Equal([$"{id}.completed", $"{id}.output-0", $"{id}.output-final", $"{id}.start"], deliveries.Select(d => d.Id).Order());
        Assert.All(deliveries, d => Assert.True(d.Verified, $"{d.Id}: the signature does not verify"));
        Assert.Equal(["completed", "output", "output", "start"], deliveries.Select(d => d.Event).Order());
        var body = JsonNode.Parse(completed.Body)!;
        Assert.Equal((id, "succeeded"), (body["id"]!.GetValue<string>(), body["status"]!.GetValue<string>()));
        Assert.Equal(done["images"]![0]!["url"]!.GetValue<string>(), body["images"]![0]!["url"]!.GetValue<string>());   // absolute, the API's own address
        Assert.Equal(receiver.Url, body["request"]!["webhook"]!.GetValue<string>());

        var onlyEnd = await api.WaitUntilFinished(await api.Submit(new { prompt = "x", steps = 2, resolution = 16, webhook = receiver.Url, webhookEventsFilter = new[] { "completed" } }));
        var endId = onlyEnd["id"]!.GetValue<string>();
        await receiver.WaitForAcknowledged(d => d.Id == $"{endId}.completed");
        Assert.Equal([$"{endId}.completed"], receiver.Received.Where(d => d.Id.StartsWith(endId)).Select(d => d.Id));
    }

    [Fact]
    public async Task A_failing_receiver_is_retried_with_the_same_id_until_it_answers_2xx_and_then_never_again()
    {
        using var host = new ApiHost(Settings());
        var api = host.Client();
        var failures = 0;
        receiver.Answer = _ => Interlocked.Increment(ref failures) <= 2 ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status204NoContent;
        var done = await api.WaitUntilFinished(await api.Submit(new { prompt = "x", steps = 2, resolution = 16, webhook = receiver.Url, webhookEventsFilter = new[] { "completed" } }));
        var id = $"{done["id"]!.GetValue<string>()}.completed";
        await receiver.WaitForAcknowledged(d => d.Id == id);
        await Task.Delay(1000);   // several poll intervals: an acknowledged delivery is not sent again

        Assert.Equal([503, 503, 204], receiver.Received.Where(d => d.Id == id).Select(d => d.Status));
        Assert.All(receiver.Received, d => Assert.True(d.Verified));
    }

    [Fact]
    public async Task Private_addresses_a_missing_secret_and_unknown_events_are_refused_at_submission()
    {
        using (var guarded = new ApiHost(Settings(allowPrivate: false)))
        {
            var (refused, body) = await guarded.Client().Post("/v1/generations", new { prompt = "x", webhook = receiver.Url });
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("resolves to 127.0.0.1, a loopback, link-local or private address", body!["errors"]!["webhook"]![0]!.GetValue<string>());
            var (_, events) = await guarded.Client().Post("/v1/generations", new { prompt = "x", webhook = "https://example.com/h", webhookEventsFilter = new[] { "logs" } });
            Assert.Contains("start, output, completed", events!["errors"]!["webhookEventsFilter"]![0]!.GetValue<string>());
        }
        using var unsigned = new ApiHost();
        var (noSecret, noSecretBody) = await unsigned.Client().Post("/v1/generations", new { prompt = "x", webhook = "https://example.com/h" });
        Assert.Equal(HttpStatusCode.BadRequest, noSecret.StatusCode);
        Assert.Contains("Webhooks:Secret", noSecretBody!["errors"]!["webhook"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task A_delivery_owed_when_the_process_is_killed_is_sent_after_restart_with_the_same_id_and_a_delivered_one_is_not_sent_again()
    {
        using var data = new TempFolder();
        var settings = Settings().ToDictionary(s => s.Key.Replace(":", "__"), s => s.Value!);
        var accepting = false;
        // The start is taken at once; every other event fails until the first process is dead.
        receiver.Answer = e => e == "start" || Volatile.Read(ref accepting) ? StatusCodes.Status204NoContent : StatusCodes.Status503ServiceUnavailable;

        string completedId;
        using (var first = HostProcess.StartApi(data.Path, settings))
        {
            await first.WaitUntilReadyAsync(TimeSpan.FromMinutes(2));
            var api = first.Client();
            var done = await api.WaitUntilFinished(await api.Submit(new { prompt = "x", steps = 2, resolution = 16, webhook = receiver.Url }));
            completedId = $"{done["id"]!.GetValue<string>()}.completed";
            await WaitUntil(() => receiver.Received.Count(d => d.Id == completedId) >= 2, first);   // tried, failed, tried again
            first.Kill();
        }
        var startId = completedId.Replace(".completed", ".start");
        var beforeRestart = receiver.Received.Count;
        Volatile.Write(ref accepting, true);

        using var second = HostProcess.StartApi(data.Path, settings);
        await second.WaitUntilReadyAsync(TimeSpan.FromMinutes(2));
        await receiver.WaitForAcknowledged(d => d.Id == completedId);
        await receiver.WaitForAcknowledged(d => d.Id == completedId.Replace(".completed", ".output-final"));
        await Task.Delay(1000);

        var after = receiver.Received.Skip(beforeRestart).ToList();
        Assert.DoesNotContain(after, d => d.Id == startId);   // acknowledged before the kill: not sent again
        Assert.Single(receiver.Received, d => d.Id == startId);
        foreach (var id in receiver.Received.Select(d => d.Id).Distinct())
            Assert.Single(receiver.Received, d => d.Id == id && d.Status is >= 200 and < 300);
        Assert.All(receiver.Received, d => Assert.True(d.Verified, $"{d.Id}: the signature does not verify"));
        Assert.Equal("succeeded", JsonNode.Parse(receiver.Received.Last(d => d.Id == completedId).Body)!["status"]!.GetValue<string>());
    }

    static async Task WaitUntil(Func<bool> condition, HostProcess host)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"The condition did not hold within 60 s.{Environment.NewLine}{host.OutputTail()}");
            await Task.Delay(50);
        }
    }
}
