using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

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

    /// <summary>A first start may include `npm install azurite` (about a minute here); this bounds a hung install.</summary>
    static readonly TimeSpan StartLimit = TimeSpan.FromMinutes(10);

    readonly Process process;
    readonly StringBuilder log;

    public int Port { get; }

    public string ConnectionString => ConnectionStringFor(Port);

    public static string ConnectionStringFor(int port) =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};BlobEndpoint=http://127.0.0.1:{port}/{AccountName};";

    AzuriteServer(Process process, StringBuilder log, int port) => (this.process, this.log, Port) = (process, log, port);

    /// <summary>Starts Azurite on <paramref name="port"/>, or on a free port the kernel picks when 0.</summary>
    public static async Task<AzuriteServer> StartAsync(int port = 0)
    {
        var script = Path.Combine(RepoRoot.Path, "deploy", "azurite.sh");
        if (!File.Exists(script))
            throw new InvalidOperationException($"Azurite could not start: {script} is missing.");

        var info = new ProcessStartInfo("bash")
        {
            WorkingDirectory = RepoRoot.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(script);
        info.ArgumentList.Add(port.ToString(CultureInfo.InvariantCulture));
        // The script stops Azurite when this process is gone, even if Dispose never runs (a crashed test host).
        info.Environment["AZURITE_PARENT_PID"] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

        var log = new StringBuilder();
        var process = new Process { StartInfo = info };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        try
        {
            process.Start();
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"Azurite could not start: running bash {script} failed: {e.Message}", e);
        }
        process.BeginErrorReadLine();

        string? line;
        try
        {
            line = await process.StandardOutput.ReadLineAsync().WaitAsync(StartLimit);
        }
        catch (TimeoutException)
        {
            line = null;
        }

        if (line is not null && int.TryParse(line.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var bound) && bound > 0)
        {
            var server = new AzuriteServer(process, log, bound);
            // Keep draining stdout so the script never blocks on a full pipe.
            _ = process.StandardOutput.ReadToEndAsync();
            return server;
        }

        var exited = process.WaitForExit(TimeSpan.FromSeconds(5));
        if (exited)
            process.WaitForExit(); // lets the stderr reader reach the end
        var status = exited ? $"deploy/azurite.sh exited with code {process.ExitCode}" : $"deploy/azurite.sh printed no port within {StartLimit.TotalMinutes} minutes";
        Stop(process);
        string output;
        lock (log) output = log.ToString();
        throw new InvalidOperationException(
            $"Azurite could not start ({status}; stdout said '{line}'). The blob tests need it: Node.js and npm on PATH, " +
            $"and the npm registry reachable for the first install into .tools/azurite. Script output:{Environment.NewLine}{output}");
    }

    /// <summary>What the script wrote to stderr so far.</summary>
    public string Log
    {
        get { lock (log) return log.ToString(); }
    }

    public async ValueTask DisposeAsync()
    {
        // SIGTERM first: the script's trap stops Azurite and removes its temp folder.
        if (!process.HasExited && SendSignal(process.Id, SigTerm) == 0)
        {
            try { await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15)); }
            catch (TimeoutException) { /* killed below */ }
        }
        Stop(process);
        process.Dispose();
    }

    /// <summary>Kills the script and every process under it (Azurite's node).</summary>
    static void Stop(Process process)
    {
        try { process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { /* already gone */ }
        process.WaitForExit(TimeSpan.FromSeconds(15));
    }

    const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    static extern int SendSignal(int pid, int signal);
}
