using System.Data.Common;
using System.Net.Sockets;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace TextToImage.Api.Infrastructure;

/// <summary>
/// A job database that cannot be reached (down, restarting, out of connections) is a 503 with
/// Retry-After, not a 500: the request was fine and nothing was written, so the caller may send it
/// again (with its Idempotency-Key, safely).
/// </summary>
sealed class DatabaseUnavailableHandler(ILogger<DatabaseUnavailableHandler> log) : IExceptionHandler
{
    const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellation)
    {
        if (exception is not (DbException or SocketException) || context.Response.HasStarted) return false;
        log.LogWarning("{Method} {Path}: the job database is unavailable: {Reason}", context.Request.Method, context.Request.Path, exception.Message);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await context.Response.WriteAsJsonAsync(new ProblemDetails
        {
            Status = StatusCodes.Status503ServiceUnavailable,
            Title = "The job database is unavailable.",
            Detail = $"The service cannot reach its job database right now; try again in {RetryAfterSeconds} seconds.",
        }, options: null, contentType: "application/problem+json", cancellationToken: cancellation);
        return true;
    }
}
