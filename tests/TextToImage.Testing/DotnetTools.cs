namespace TextToImage.Testing;

/// <summary>.NET tools for tests (Kiota, the client generator), installed once per machine into the tests' cache at a pinned version.</summary>
public static class DotnetTools
{
    /// <summary>The path of <paramref name="command"/> of tool package <paramref name="package"/>@<paramref name="version"/>.</summary>
    public static string Command(string package, string version, string command) =>
        Path.Combine(MachineCache.Get($"dotnet-tools/{package}-{version}", command, partial =>
            MachineCache.Run("dotnet", ["tool", "install", package, "--version", version, "--tool-path", partial])), command);
}
