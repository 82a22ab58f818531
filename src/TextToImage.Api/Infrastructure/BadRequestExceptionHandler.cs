using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace TextToImage.Api.Infrastructure;

/// <summary>
/// Turns request-reading failures (malformed or mis-shaped JSON, a wrong content type, a body over
/// the limit, an unparsable parameter) into problem details with the reason, instead of a 500.
/// </summary>
sealed class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellation)
    {
        if (exception is not BadHttpRequestException bad) return false;
        // A form whose reading hit the body limit arrives as "failed to read the form" around the 413.
        if (bad.InnerException is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } tooLarge) bad = tooLarge;
        context.Response.StatusCode = bad.StatusCode;
        var detail = bad.InnerException is JsonException json ? $"{bad.Message} {json.Message}" : bad.Message;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = new ProblemDetails { Status = bad.StatusCode, Title = TitleOf(bad.StatusCode), Detail = detail },
        });
    }

    static string TitleOf(int status) => status switch
    {
        StatusCodes.Status413PayloadTooLarge => "The request body is too large.",
        StatusCodes.Status415UnsupportedMediaType => "The request body has an unsupported content type.",
        _ => "The request could not be read.",
    };
}
