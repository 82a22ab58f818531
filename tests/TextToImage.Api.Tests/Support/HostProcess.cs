using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;


namespace TextToImage.Api.Tests.Support;

/// <summary>
/// A built host (the API or the worker) as a real process, with its own data folder and the tiny
/// model: what an operator runs. Its log is kept for failure messages; killed on dispose.
/// </summary>
public sealed class HostProcess : IDisposable
{
    readonly StringBuilder log = new();
    Action<string>? onLine;

    public Process Process { get; }

    /// <summary>The API's address; null for the worker, which serves no HTTP.</summary>
    public string? BaseUrl { get; }

    HostProcess(Process process, string? baseUrl)
    {
        Process = process;
        BaseUrl = baseUrl;
    }

    /// <param name="args">More command-line arguments, after <c>--urls</c>.</param>
    public static HostProcess StartApi(string dataRoot, IReadOnlyDictionary<string, string>? settings = null, params string[] args)
    {
        var baseUrl = $"http://127.0.0.1:{FreePort()}";
        return Start(BuiltDll("TextToImage.Api"), ["--urls", baseUrl, .. args], dataRoot, settings, baseUrl);
    }

    /// <param name="onLine">Called with each line of output as it arrives (on a reader thread), from the first.</param>
    /// <param name="args">Command-line arguments.</param>
    public static HostProcess StartWorker(string dataRoot, IReadOnlyDictionary<string, string>? settings = null, Action<string>? onLine = null,
        params string[] args) =>
        Start(BuiltDll("TextToImage.Worker"), args, dataRoot, settings, null, onLine);

    static HostProcess Start(string dll, string[] args, string dataRoot, IReadOnlyDictionary<string, string>? settings, string? baseUrl,
        Action<string>? onLine = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!, // the content root: appsettings.json lies beside the dll
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(dll);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["DataRoot"] = dataRoot;
        start.Environment["Models__Folders__0"] = TinyModel.Folder;
        start.Environment["Api__RateLimitPerSecond"] = "0";
        start.Environment["DOTNET_NOLOGO"] = "1";
        // Several hosts share the cores: one libtorch thread each, or their spinning threads slow all of them down
        // (a chaos run took 20 s per job with libtorch's default of a thread per core, under 2 s with one).
        start.Environment["OMP_NUM_THREADS"] = "1";
        start.Environment["MKL_NUM_THREADS"] = "1";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) start.Environment[key] = value;
        var host = new HostProcess(new Process { StartInfo = start }, baseUrl) { onLine = onLine };
        host.Process.OutputDataReceived += (_, e) => host.Append(e.Data);
        host.Process.ErrorDataReceived += (_, e) => host.Append(e.Data);
        host.Process.Start();
        host.Process.BeginOutputReadLine();
        host.Process.BeginErrorReadLine();
        return host;
    }

    public ApiClient Client() => new(new HttpClient { BaseAddress = new Uri(BaseUrl ?? throw new InvalidOperationException("The worker serves no HTTP.")) });

    void Append(string? line)
    {
        if (line is null) return;
        lock (log) log.AppendLine(line);
        onLine?.Invoke(line);
    }

    public string OutputTail(int chars = 6000)
    {
        lock (log) return log.Length <= chars ? log.ToString() : log.ToString(log.Length - chars, chars);
    }

    /// <summary>Waits for the process to end; <paramref name="guard"/> is a failure guard (a host that went on serving would never end).</summary>
    public async Task WaitForExitAsync(TimeSpan guard)
    {
        using var timeout = new CancellationTokenSource(guard);
        await Process.WaitForExitAsync(timeout.Token);
    }

    /// <summary>Polls /readyz until 200; <paramref name="timeout"/> is a failure guard.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var until = DateTime.UtcNow + timeout;
        var last = "no answer yet";
        while (DateTime.UtcNow < until)
        {
            if (Process.HasExited)
                throw new InvalidOperationException($"The API exited with code {Process.ExitCode} before it was ready:{Environment.NewLine}{OutputTail()}");
            try
            {
                using var response = await http.GetAsync($"{BaseUrl}/readyz");
                if (response.StatusCode == HttpStatusCode.OK) return;
                last = $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.Message;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"{BaseUrl}/readyz did not answer 200 within {timeout.TotalSeconds:0} s (last: {last}).{Environment.NewLine}{OutputTail()}");
    }

    /// <summary>SIGKILL: no shutdown code runs, as when a machine loses power or the OOM killer strikes.</summary>
    public void Kill()
    {
        Process.Kill(entireProcessTree: true);
        Process.WaitForExit();
    }

    /// <summary>The built host: the API is in the test output (this project references it); the worker in its own.</summary>
    static string BuiltDll(string project)
    {
        var here = Path.Combine(AppContext.BaseDirectory, project + ".dll");
        if (File.Exists(here) && File.Exists(Path.ChangeExtension(here, ".runtimeconfig.json")) && File.Exists(Path.ChangeExtension(here, ".deps.json")))
            return here;
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent?.Name ?? "Release";
        var built = Path.Combine(RepoRoot.Path, "src", project, "bin", configuration, "net10.0", project + ".dll");
        return File.Exists(built) ? built : throw new InvalidOperationException($"{project}.dll is neither runnable from {AppContext.BaseDirectory} nor built at {built}.");
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                Process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // It exited meanwhile.
        }
        Process.Dispose();
    }
}
