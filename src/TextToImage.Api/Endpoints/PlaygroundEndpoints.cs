using System.Reflection;

namespace TextToImage.Api.Endpoints;

/// <summary>
/// The playground at <c>/</c>: one HTML page, its script and style, compiled into the assembly, so a
/// published host, a container or a test serves the same bytes with nothing on disk and no CDN.
/// The page calls the public API like any client (its key, when keys are configured, stays in the browser).
/// </summary>
static class PlaygroundEndpoints
{
    static readonly (string Path, string Resource, string ContentType)[] Files =
    [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/playground/playground.js", "playground.js", "text/javascript; charset=utf-8"),
        ("/playground/playground.css", "playground.css", "text/css; charset=utf-8"),
    ];

    public static IEndpointRouteBuilder MapPlayground(this IEndpointRouteBuilder app)
    {
        foreach (var (path, resource, contentType) in Files)
        {
            var bytes = Read(resource);
            app.MapGet(path, (HttpContext http) =>
            {
                // Revalidated on each load: a new version of the service is seen at once.
                http.Response.Headers.CacheControl = "no-cache";
                return TypedResults.Bytes(bytes, contentType);
            }).ExcludeFromDescription();
        }
        return app;
    }

    static byte[] Read(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"Playground/{name}")
            ?? throw new InvalidOperationException($"The playground file '{name}' is not embedded in {Assembly.GetExecutingAssembly().GetName().Name}.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
