namespace TextToImage.Testing;

/// <summary>.NET tools for tests (Kiota, the client generator), installed once per machine into a cache folder at a pinned version.</summary>
public static class DotnetTools
{
    static readonly SemaphoreSlim OneAtATime = new(1, 1);

    /// <summary>The path of <paramref name="command"/> of tool package <paramref name="package"/>@<paramref name="version"/>.</summary>
    public static string Command(string package, string version, string command)
    {
        var folder = Path.Combine(NpmPackages.MachineCache, "dotnet-tools", $"{package}-{version}");
        var path = Path.Combine(folder, command);
        OneAtATime.Wait();
        try
        {
            if (File.Exists(path)) return path;
            var install = Commands.Run("dotnet", ["tool", "install", package, "--version", version, "--tool-path", folder]);
            return install.ExitCode == 0 && File.Exists(path)
                ? path
                : throw new InvalidOperationException($"dotnet tool install {package} {version} failed ({install.ExitCode}):\n{install.Output}");
        }
        finally
        {
            OneAtATime.Release();
        }
    }
}
