using System.Diagnostics;
using System.Diagnostics.Metrics;
using TextToImage.Service.Jobs;

namespace TextToImage.Service.Telemetry;

/// <summary>
/// The service's own instruments (meter and activity source <see cref="Name"/>). Counters count what
/// this process did, so a fleet's totals are the sum over its processes, as Prometheus adds them.
/// </summary>
public sealed class ServiceMetrics
{
    public const string Name = "TextToImage";

    /// <summary>Spans of job runs (<c>generation.run</c>), beside ASP.NET Core's and Npgsql's.</summary>
    public static readonly ActivitySource Activities = new(Name);

    readonly Counter<long> submitted, completed, steps, imagesStored, webhookDeliveries;
    readonly Histogram<double> stageSeconds, modelLoadSeconds;
    readonly Histogram<long> batchJobs;

    readonly Meter meter;

    public ServiceMetrics(IMeterFactory meters)
    {
        meter = meters.Create(Name);
        submitted = meter.CreateCounter<long>("t2i.jobs.submitted", "{job}", "Jobs queued, by kind.");
        completed = meter.CreateCounter<long>("t2i.jobs.completed", "{job}", "Jobs ended, by status (succeeded, failed, canceled) and kind.");
        steps = meter.CreateCounter<long>("t2i.sampler.steps", "{step}", "Sampler steps run, by stage; its rate is steps per second.");
        imagesStored = meter.CreateCounter<long>("t2i.images.stored", "{image}", "Images written to the blob store: final or stage (progressive) ones.");
        webhookDeliveries = meter.CreateCounter<long>("t2i.webhook.deliveries", "{delivery}", "Webhook delivery attempts, by outcome.");
        stageSeconds = meter.CreateHistogram<double>("t2i.stage.duration", "s", "Seconds each cascade stage of a job took, by stage.");
        modelLoadSeconds = meter.CreateHistogram<double>("t2i.model.load.duration", "s", "Seconds loading a model took, by model.");
        batchJobs = meter.CreateHistogram<long>("t2i.batch.jobs", "{job}", "Jobs that went through the network together in one run of the device (1: alone).");
    }

    public void Submitted(string kind) => submitted.Add(1, new KeyValuePair<string, object?>("kind", kind));

    public void Completed(GenerationStatus status, string kind) =>
        completed.Add(1, new KeyValuePair<string, object?>("status", status.Name()), new KeyValuePair<string, object?>("kind", kind));

    public void SamplerStep(string stage) => steps.Add(1, new KeyValuePair<string, object?>("stage", stage));

    public void StageFinished(string stage, TimeSpan elapsed) => stageSeconds.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("stage", stage));

    public void ImagesStored(int count, bool final) => imagesStored.Add(count, new KeyValuePair<string, object?>("kind", final ? "final" : "stage"));

    public void BatchRan(int jobs) => batchJobs.Record(jobs);

    /// <summary><c>t2i.device.waiting</c>: jobs this process has claimed that wait for its device, read when metrics are collected.</summary>
    public void ObserveDeviceWaiting(Func<int> waiting) =>
        meter.CreateObservableGauge("t2i.device.waiting", waiting, "{job}", "Jobs this process has claimed that wait for its device (a serving batch forms from them).");

    public void ModelLoaded(string model, TimeSpan elapsed) => modelLoadSeconds.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("model", model));

    /// <param name="outcome"><c>delivered</c>, <c>retrying</c> or <c>abandoned</c>.</param>
    public void WebhookDelivery(string outcome) => webhookDeliveries.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
}
