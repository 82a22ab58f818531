namespace TextToImage.Testing;

/// <summary>
/// A real Azurite blob service on 127.0.0.1, started by deploy/azurite.sh (which installs Azurite
/// into .tools/azurite on first use). Disposing stops the script and everything it started.
/// </summary>
public sealed class AzuriteServer : IAsyncDisposable
{
    /// <summary>Azurite's well-known development account (public; documented by Microsoft).</summary>
    public const string AccountName = "devstoreaccount1";
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    readonly ScriptServer server;

    AzuriteServer(ScriptServer server) => this.server = server;

    public int Port => server.Port;

    public string ConnectionString => ConnectionStringFor(Port);

    public static string ConnectionStringFor(int port) =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};BlobEndpoint=http://127.0.0.1:{port}/{AccountName};";

    /// <summary>Starts Azurite on <paramref name="port"/>, or on a free port the kernel picks when 0.</summary>
    public static async Task<AzuriteServer> StartAsync(int port = 0) => new(await ScriptServer.StartAsync("azurite.sh", "AZURITE_PARENT_PID",
        "Node.js and npm on PATH, and the npm registry reachable for the first install into .tools/azurite", port));

    /// <summary>What the script wrote to stderr so far.</summary>
    public string Log => server.Log;

    public ValueTask DisposeAsync() => server.DisposeAsync();
}
