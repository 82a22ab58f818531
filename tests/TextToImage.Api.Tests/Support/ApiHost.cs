using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace TextToImage.Api.Tests.Support;

/// <summary>
/// The real API host on Kestrel at 127.0.0.1 (a free port), with its own data root and the tiny
/// model, its in-process worker, and rate limits off unless a test sets them.
/// </summary>
public sealed class ApiHost : WebApplicationFactory<Program>
{
    readonly Dictionary<string, string?> settings;
    readonly bool ownsDataRoot;

    public string DataRoot { get; }

    public ApiHost() : this(null)
    {
    }

    internal ApiHost(IReadOnlyDictionary<string, string?>? settings, string? dataRoot = null)
    {
        ownsDataRoot = dataRoot is null;
        DataRoot = dataRoot ?? Directory.CreateTempSubdirectory("t2i-api-").FullName;
        this.settings = new Dictionary<string, string?>
        {
            ["DataRoot"] = DataRoot,
            ["Models:Folders:0"] = TinyModel.Folder,
            ["Api:RateLimitPerSecond"] = "0",
            ["Jobs:RecoveryInterval"] = "00:00:01",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) this.settings[key] = value;
        UseKestrel(0);
        StartServer();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
    }

    public ApiClient Client() => new(CreateClient());

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && ownsDataRoot)
        {
            try
            {
                Directory.Delete(DataRoot, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
