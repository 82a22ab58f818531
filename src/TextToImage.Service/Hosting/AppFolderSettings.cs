using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;

namespace TextToImage.Service.Hosting;

/// <summary>
/// The build copies the repository's appsettings.json beside each host. That copy is read first,
/// below everything else, so a host started from any folder (<c>dotnet run --project</c>, systemd)
/// has the defaults, and a content root's own file and environment variables still override it.
/// </summary>
public static class AppFolderSettings
{
    public static IConfigurationManager AddAppFolderSettings(this IConfigurationManager configuration)
    {
        var source = new JsonConfigurationSource { Path = Path.Combine(AppContext.BaseDirectory, "appsettings.json"), Optional = true };
        source.ResolveFileProvider();
        configuration.Sources.Insert(0, source);
        return configuration;
    }
}
