using System.Diagnostics;
using System.Text;

namespace TextToImage.Testing;

public sealed record CommandOutcome(int ExitCode, string Output);

/// <summary>Runs a command to its end, stdout and stderr together.</summary>
public static class Commands
{
    /// <summary>For synchronous tests: <see cref="RunAsync"/> in the current folder, with a 30-minute guard.</summary>
    public static CommandOutcome Run(string file, IEnumerable<string> args, Dictionary<string, string>? environment = null) =>
        RunAsync(file, args.ToArray(), Environment.CurrentDirectory, TimeSpan.FromMinutes(30), environment).GetAwaiter().GetResult();

    /// <param name="timeout">A failure guard: the command is killed after it.</param>
    public static async Task<CommandOutcome> RunAsync(string file, string[] args, string workingDirectory, TimeSpan timeout,
        Dictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var (key, value) in environment ?? []) start.Environment[key] = value;
        var text = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (text) text.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (text) text.AppendLine(e.Data); };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new CommandOutcome(-1, $"Could not start {file}: {e.Message}");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
            process.WaitForExit(); // drains the output readers
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            lock (text) text.AppendLine($"(killed: still running after the {timeout.TotalSeconds:0} s guard)");
            return new CommandOutcome(-1, text.ToString());
        }
        lock (text) return new CommandOutcome(process.ExitCode, text.ToString());
    }
}
