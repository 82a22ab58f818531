using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace TextToImage.Api.Infrastructure;

/// <summary>
/// Answers 413 before reading a body whose declared length is over the limit, and caps bodies
/// without a declared length (chunked), so an oversized request never reaches the handlers. Upload
/// endpoints (marked with <see cref="AcceptsUploads"/>) get <c>Api:MaxUploadBytes</c>, the rest
/// <c>Api:MaxRequestBytes</c>.
/// </summary>
sealed class RequestBodyLimit(RequestDelegate next, IOptions<ApiOptions> options)
{
    public async Task InvokeAsync(HttpContext context, IProblemDetailsService problems)
    {
        var limit = context.GetEndpoint()?.Metadata.GetMetadata<AcceptsUploads>() is null
            ? options.Value.MaxRequestBytes
            : options.Value.MaxUploadBytes;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature) feature.MaxRequestBodySize = limit;
        if (context.Request.ContentLength > limit)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            await problems.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails = { Status = StatusCodes.Status413PayloadTooLarge, Title = "The request body is too large.",
                    Detail = $"The body has {context.Request.ContentLength} bytes; the limit is {limit}." },
            });
            return;
        }
        await next(context);
    }
}

/// <summary>Endpoint metadata: this endpoint takes multipart uploads, under the upload size limit.</summary>
sealed class AcceptsUploads;
