namespace TextToImage.Testing;

/// <summary>What tests fetch once per machine (npm packages, .NET tools), kept in the user's cache folder between runs.</summary>
public static class MachineCache
{
    static readonly SemaphoreSlim OneAtATime = new(1, 1);

    /// <summary>Where tests keep what they fetch once per machine (npm packages, .NET tools): the user's cache folder.</summary>
    public static string Folder => Path.Combine(
        Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } cache ? cache : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"),
        "texttoimage-tests");

    /// <summary>
    /// The cache folder <paramref name="name"/>, made by <paramref name="make"/> in a folder beside it that is then renamed into place:
    /// a run killed halfway leaves no half package behind. <paramref name="marker"/> (relative) exists once it is complete.
    /// </summary>
    public static string Get(string name, string marker, Action<string> make)
    {
        var folder = Path.Combine(Folder, name);
        OneAtATime.Wait();
        try
        {
            if (Path.Exists(Path.Combine(folder, marker))) return folder;
            var partial = folder + $".partial-{Environment.ProcessId}";
            if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
            Directory.CreateDirectory(partial);
            make(partial);
            try
            {
                Directory.Move(partial, folder);
            }
            catch (IOException) when (Path.Exists(Path.Combine(folder, marker)))
            {
                Directory.Delete(partial, recursive: true);   // another test process made it first
            }
            return folder;
        }
        finally
        {
            OneAtATime.Release();
        }
    }

    /// <summary>Runs a command that must succeed: its output is in the exception when it does not.</summary>
    public static void Run(string file, string[] args)
    {
        var outcome = Commands.Run(file, args);
        if (outcome.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({outcome.ExitCode}):\n{outcome.Output}");
    }
}
