using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Xunit;

namespace TextToImage.Testing;

/// <summary>
/// A server started by one of deploy/'s scripts (azurite.sh, postgres.sh): the script installs what
/// is missing, starts the server on 127.0.0.1, prints its port as its first stdout line and stays
/// in the foreground; it stops the server when it is stopped, or when the test process (named in
/// its <c>*_PARENT_PID</c> variable) is gone. Disposing stops the script and everything it started.
/// </summary>
public sealed class ScriptServer : IAsyncDisposable
{
    /// <summary>A first start may include an install (npm, apt: a minute or two here); this bounds a hung one.</summary>
    static readonly TimeSpan StartLimit = TimeSpan.FromMinutes(10);

    readonly Process process;
    readonly StringBuilder log;

    public int Port { get; }

    ScriptServer(Process process, StringBuilder log, int port) => (this.process, this.log, Port) = (process, log, port);

    /// <param name="script">The script under deploy/, e.g. <c>postgres.sh</c>.</param>
    /// <param name="parentVariable">The variable through which the script watches this process.</param>
    /// <param name="needs">What the tests need for it to start, for the failure message.</param>
    public static async Task<ScriptServer> StartAsync(string script, string parentVariable, string needs, int port = 0)
    {
        var path = Path.Combine(RepoRoot.Path, "deploy", script);
        if (!File.Exists(path))
            throw new InvalidOperationException($"{script} could not start: {path} is missing.");

        var info = new ProcessStartInfo("bash")
        {
            WorkingDirectory = RepoRoot.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(path);
        info.ArgumentList.Add(port.ToString(CultureInfo.InvariantCulture));
        // The script stops its server when this process is gone, even if Dispose never runs (a crashed test host).
        info.Environment[parentVariable] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

        var log = new StringBuilder();
        var process = new Process { StartInfo = info };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        try
        {
            process.Start();
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"{script} could not start: running bash {path} failed: {e.Message}", e);
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
            var server = new ScriptServer(process, log, bound);
            // Keep draining stdout so the script never blocks on a full pipe.
            _ = process.StandardOutput.ReadToEndAsync();
            return server;
        }

        var exited = process.WaitForExit(TimeSpan.FromSeconds(5));
        if (exited)
            process.WaitForExit(); // lets the stderr reader reach the end
        var status = exited ? $"deploy/{script} exited with code {process.ExitCode}" : $"deploy/{script} printed no port within {StartLimit.TotalMinutes} minutes";
        Stop(process);
        string output;
        lock (log) output = log.ToString();
        throw new InvalidOperationException($"{script} could not start ({status}; stdout said '{line}'). The tests need it: {needs}. Script output:{Environment.NewLine}{output}");
    }

    /// <summary>What the script wrote to stderr so far.</summary>
    public string Log
    {
        get { lock (log) return log.ToString(); }
    }

    public async ValueTask DisposeAsync()
    {
        // SIGTERM first: the script's trap stops the server and removes its temp folder.
        if (!process.HasExited && SendSignal(process.Id, SigTerm) == 0)
        {
            try { await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15)); }
            catch (TimeoutException) { /* killed below */ }
        }
        Stop(process);
        process.Dispose();
    }

    /// <summary>Kills the script and every process under it.</summary>
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

/// <summary>
/// One S3-compatible server (npm s3rver, by deploy/s3rver.sh) for every test of a collection, on a free
/// port; each test uses a bucket of its own. If it cannot start, every test of the collection fails with
/// the reason. Each test assembly that uses it declares its collection (see <see cref="AzuriteFixture"/>).
/// </summary>
public sealed class S3rverFixture : IAsyncLifetime
{
    /// <summary>s3rver's fixed credentials.</summary>
    public const string AccessKey = "S3RVER", SecretKey = "S3RVER";

    ScriptServer? server;

    public string ServiceUrl => $"http://127.0.0.1:{(server ?? throw new InvalidOperationException("s3rver has not started.")).Port}";

    /// <summary>A bucket name no other test uses (3-63 lowercase letters, digits and '-').</summary>
    public static string NewBucketName() => $"t-{Guid.NewGuid():N}";

    public async Task InitializeAsync() => server = await ScriptServer.StartAsync("s3rver.sh", "S3RVER_PARENT_PID",
        "Node.js and npm on PATH, and the npm registry reachable for the first install into .tools/s3rver");

    public async Task DisposeAsync()
    {
        if (server is not null)
            await server.DisposeAsync();
    }
}
