using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace TextToImage.Service.Hosting;

/// <summary>
/// The one folder for all local state of the embedded default (SQLite files, filesystem blobs,
/// caches), so that a second instance, a test or a backup points at its own.
/// </summary>
public sealed record DataRoot(string Path)
{
    public const string ConfigurationKey = "DataRoot";

    /// <summary><c>DataRoot</c> from configuration, relative to the content root; <c>./data</c> when unset.</summary>
    public static DataRoot From(IConfiguration configuration, IHostEnvironment environment)
    {
        var configured = configuration[ConfigurationKey];
        var path = System.IO.Path.GetFullPath(string.IsNullOrWhiteSpace(configured) ? "data" : configured, environment.ContentRootPath);
        Directory.CreateDirectory(path);
        return new DataRoot(path);
    }

    /// <summary>A path under the data root, or <paramref name="configured"/> (relative to the root) when given.</summary>
    public string Resolve(string? configured, string fallback) =>
        System.IO.Path.GetFullPath(string.IsNullOrWhiteSpace(configured) ? fallback : configured, Path);
}
