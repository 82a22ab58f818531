using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using TextToImage.Service.Hosting;

namespace TextToImage.Service.Telemetry;

/// <summary>
/// OpenTelemetry for both hosts: our meter and spans, Npgsql's, and OTLP export when the standard
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (with its <c>OTEL_*</c> companions) is set. The API adds its
/// ASP.NET Core instrumentation and the Prometheus scrape endpoint.
/// </summary>
public static class TelemetryRegistration
{
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public static OpenTelemetryBuilder AddTextToImageTelemetry(this IHostApplicationBuilder builder, HostRole role)
    {
        builder.Services.AddSingleton<ServiceMetrics>();
        builder.Services.AddHostedService<QueueLengthGauge>();
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(role == HostRole.Api ? "texttoimage-api" : "texttoimage-worker"))
            .WithMetrics(metrics => metrics.AddMeter(ServiceMetrics.Name).AddNpgsqlInstrumentation())
            .WithTracing(tracing => tracing.AddSource(ServiceMetrics.Name).AddNpgsql());
        if (!string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointKey])) telemetry.UseOtlpExporter();
        return telemetry;
    }
}
