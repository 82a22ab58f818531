using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using TextToImage.Service.Blobs;
using TextToImage.Service.Hosting;
using TextToImage.Service.Jobs;
using TextToImage.Service.Models;

namespace TextToImage.Api.Infrastructure;

/// <summary>The job store answers a query (for PostgreSQL: its schema is migrated, too).</summary>
sealed class JobStoreCheck(IJobStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellation)
    {
        try
        {
            await store.PingAsync(cancellation);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (!cancellation.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"The job database does not answer: {e.Message}", e);
        }
    }
}

/// <summary>The blob store answers a round trip.</summary>
sealed class BlobStoreCheck(IBlobStore blobs) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellation)
    {
        await blobs.PingAsync(cancellation);
        return HealthCheckResult.Healthy();
    }
}

/// <summary>The default model exists, and where this process runs jobs, it is loaded.</summary>
sealed class ModelCheck(ModelCatalog catalog, CascadeEngine engine, IOptions<JobsOptions> jobs) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellation)
    {
        var name = catalog.DefaultName;
        if (name is null || catalog.Find(name) is null)
            return Task.FromResult(HealthCheckResult.Unhealthy(name is null ? "No model is configured." : $"The default model '{name}' was not found."));
        if (jobs.Value.InProcessWorker && !engine.IsLoaded(name))
            // Loading is expected at start: Degraded (still a 503 on /readyz) keeps it out of the error log.
            return Task.FromResult(engine.LoadFailure(name) is { } reason
                ? HealthCheckResult.Unhealthy($"The default model '{name}' does not load: {reason}")
                : HealthCheckResult.Degraded($"The default model '{name}' is still loading."));
        return Task.FromResult(HealthCheckResult.Healthy($"Default model: {name}."));
    }
}
