using System.Diagnostics;

namespace TextToImage.Diffusion.Tests.Cli;

/// <summary>
/// Runs the built t2i (copied beside the tests) as its own process, as a user would. Shared with the
/// training tests (linked there).
/// </summary>
public static class T2iProcess
{
    public static (int ExitCode, string Output) Run(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "t2i.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["COLUMNS"] = "200";
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }
}
