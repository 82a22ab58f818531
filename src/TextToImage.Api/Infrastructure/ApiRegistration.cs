using Hangfire;
using Hangfire.Dashboard;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using TextToImage.Api.Endpoints;
using TextToImage.Api.OpenAI;
using TextToImage.Service.Hosting;

namespace TextToImage.Api.Infrastructure;

/// <summary>The API host: its services, middleware and endpoints.</summary>
static class ApiRegistration
{
    public static WebApplicationBuilder AddTextToImageApi(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<ApiOptions, ApiOptionsValidator>(ApiOptions.Section);
        builder.AddTextToImageService(HostRole.Api);
        services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddAspNetCoreInstrumentation().AddPrometheusExporter());
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddAspNetCoreInstrumentation());
        services.AddProblemDetails(problems => problems.CustomizeProblemDetails = context =>
        {
            // Minimal APIs answer a non-JSON body with a bare 415; say what to send instead.
            if (context.ProblemDetails.Status == StatusCodes.Status415UnsupportedMediaType)
                // Routing refuses a wrong content type before an endpoint is chosen: tell the upload paths by path.
                context.ProblemDetails.Detail ??= !ImageJobsEndpoints.IsUploadPath(context.HttpContext.Request.Path)
                    ? $"Send the body as application/json, not '{context.HttpContext.Request.ContentType}'."
                    : $"Send the body as multipart/form-data, not '{context.HttpContext.Request.ContentType}'.";
        });
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        services.AddExceptionHandler<DatabaseUnavailableHandler>();
        // Malformed requests throw, so the handler above can say what was wrong (otherwise: a bare 400).
        services.Configure<RouteHandlerOptions>(routes => routes.ThrowOnBadRequest = true);
        services.AddSingleton<ApiKeys>();
        services.AddSingleton<GenerationReads>();
        services.AddHostedService<Webhooks.WebhookSender>();
        services.AddPerCallerRateLimit();
        services.AddApiDocumentation();
        services.AddHealthChecks()
            .AddCheck<JobStoreCheck>("jobs", tags: ["ready"])
            .AddCheck<BlobStoreCheck>("storage", tags: ["ready"])
            .AddCheck<ModelCheck>("model", tags: ["ready"]);
        return builder;
    }

    public static WebApplication MapTextToImageApi(this WebApplication app)
    {
        var api = app.Services.GetRequiredService<IOptions<ApiOptions>>().Value;
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseMiddleware<RequestBodyLimit>();
        app.UseRateLimiter();
        app.UseSwagger(swagger =>
        {
            // OpenAPI 3.1: its schemas are JSON Schema 2020-12, so "null is sent here" is a type, and any JSON Schema validator checks answers.
            swagger.OpenApiVersion = Microsoft.OpenApi.OpenApiSpecVersion.OpenApi3_1;
            // The address the document was read from (behind a proxy: as forwarded), so clients and lint know the base URL.
            swagger.PreSerializeFilters.Add((document, request) =>
                document.Servers = [new Microsoft.OpenApi.OpenApiServer { Url = $"{request.Scheme}://{request.Host}{request.PathBase}" }]);
        });
        app.UseSwaggerUI(ui => ui.DocumentTitle = "TextToImage API");
        if (api.Dashboard != DashboardAccess.Off)
            app.UseHangfireDashboard("/hangfire", new DashboardOptions
            {
                Authorization = api.Dashboard == DashboardAccess.Open ? [new OpenDashboard()] : [new LocalRequestsOnlyAuthorizationFilter()],
                DashboardTitle = "TextToImage jobs",
            });

        var v1 = app.MapGroup("/v1").AddEndpointFilter<ApiKeyFilter>().RequireRateLimiting(RateLimits.PerCaller);
        v1.MapGenerationsApi();
        v1.MapImageJobsApi();
        v1.MapImagesApi();
        v1.MapOpenAIImagesApi();
        v1.MapModelsApi();
        // Someone who opens the address lands on the playground, which links the Swagger UI.
        app.MapPlayground();
        // Prometheus' text format at /metrics, outside /v1: scrapers send no API key (keep it off public networks).
        app.MapPrometheusScrapingEndpoint().WithTags("Health");
        app.MapHealthChecks("/healthz", new() { Predicate = _ => false }).WithTags("Health");
        app.MapHealthChecks("/readyz", new()
        {
            Predicate = check => check.Tags.Contains("ready"),
            ResponseWriter = HealthReports.WriteJson,
            // Not ready while degraded (the model still loading): a load balancer waits for Healthy.
            ResultStatusCodes = { [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable },
        }).WithTags("Health");
        return app;
    }

    sealed class OpenDashboard : IDashboardAuthorizationFilter
    {
        public bool Authorize(DashboardContext context) => true;
    }
}
