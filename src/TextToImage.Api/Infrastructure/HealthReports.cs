using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TextToImage.Api.Infrastructure;

/// <summary>Readiness as JSON: overall status and each check's status and reason, for operators.</summary>
static class HealthReports
{
    public static Task WriteJson(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description ?? e.Value.Exception?.Message }),
        }, JsonSerializerOptions.Web));
    }
}
