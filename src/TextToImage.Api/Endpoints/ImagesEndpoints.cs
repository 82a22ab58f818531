using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using TextToImage.Service.Blobs;
using TextToImage.Service.Hosting;
using TextToImage.Service.Jobs;
using TextToImage.Api.Infrastructure;

namespace TextToImage.Api.Endpoints;

/// <summary>/v1/images: the generated images (PNG, WebP or JPEG, as their job asked), immutable once written.</summary>
static class ImagesEndpoints
{
    const string Immutable = "public, max-age=31536000, immutable";

    public static RouteGroupBuilder MapImagesApi(this RouteGroupBuilder v1)
    {
        v1.MapGet("/images/{**key}", Get).WithTags("Images").WithName("GetImage").WithSummary("Download an image")
            .Produces(StatusCodes.Status200OK, responseType: null, contentType: "image/png", additionalContentTypes: ["image/webp", "image/jpeg"]).ProducesProblem(StatusCodes.Status404NotFound);   // 304 and 302: OpenApiContract
        // HEAD answers as GET without the body (a cache or a client checking a download); one operation in the document.
        v1.MapMethods("/images/{**key}", [HttpMethods.Head], Get).ExcludeFromDescription();
        return v1;
    }

    /// <summary>Streams an image with its ETag; 304 when <c>If-None-Match</c> already names it.</summary>
    /// <remarks>With Azure storage and signed-URL redirects configured, answers 302 to a short-lived signed URL instead.</remarks>
    /// <param name="key">The key from an image URL of a generation, e.g. <c>{id}/0.png</c>.</param>
    static async Task<Results<FileStreamHttpResult, StatusCodeHttpResult, RedirectHttpResult, ProblemHttpResult>> Get(string key, IBlobStore blobs,
        IJobStore jobs, ApiKeys keys, IOptions<BlobStorageOptions> storage, HttpContext http, CancellationToken cancellation)
    {
        // Kestrel decodes a path but keeps %2F (a slash inside a segment) encoded; generated clients encode the key's slashes so.
        key = key.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
        if (!BlobKey.TryParse(key, out var blobKey) || !await MaySee(blobKey, jobs, keys, http, cancellation)
            || await blobs.GetPropertiesAsync(blobKey, cancellation) is not { } properties)
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such image.", detail: $"There is no image with key '{key}'.");
        http.Response.Headers.CacheControl = Immutable;
        var etag = EntityTagHeaderValue.Parse(properties.ETag);
        if (http.Request.GetTypedHeaders().IfNoneMatch is { Count: > 0 } tags && tags.Any(t => t.Compare(etag, useStrongComparison: false) || t == EntityTagHeaderValue.Any))
        {
            http.Response.Headers.ETag = properties.ETag;
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }
        if (storage.Value.RedirectToSignedUrls && blobs.SignedUrl(blobKey, storage.Value.SignedUrlLifetime) is { } signed)
            return TypedResults.Redirect(signed.ToString());
        if (HttpMethods.IsHead(http.Request.Method))
        {
            http.Response.ContentType = properties.ContentType;
            http.Response.ContentLength = properties.Length;
            http.Response.Headers.ETag = properties.ETag;
            http.Response.GetTypedHeaders().LastModified = properties.LastModified;
            return TypedResults.StatusCode(StatusCodes.Status200OK);
        }
        var stream = await blobs.OpenReadAsync(blobKey, cancellation);
        return stream is null
            ? TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such image.", detail: $"There is no image with key '{key}'.")
            : TypedResults.Stream(stream, properties.ContentType, lastModified: properties.LastModified, entityTag: etag);
    }

    /// <summary>An image is its job's: the first segment of its key is the job id, and another caller's job is absent.</summary>
    static async Task<bool> MaySee(BlobKey key, IJobStore jobs, ApiKeys keys, HttpContext http, CancellationToken cancellation)
    {
        if (keys.VisibleOwner(http) is null) return true;
        var slash = key.Value.IndexOf('/');
        return slash > 0 && await jobs.GetAsync(key.Value[..slash], cancellation) is { } record && keys.MaySee(http, record);
    }
}
