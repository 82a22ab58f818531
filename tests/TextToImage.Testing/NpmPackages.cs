namespace TextToImage.Testing;

/// <summary>
/// Real npm packages for tests: published data (Fluent Emoji's SVGs, emojibase's annotations) and command-line tools (the
/// OpenAPI linters), fetched once per machine into a cache folder, so a second run reads them from disk. npm is what
/// deploy/test.sh installs.
/// </summary>
public static class NpmPackages
{
    static readonly SemaphoreSlim OneAtATime = new(1, 1);

    /// <summary>Where tests keep what they fetch once per machine (npm packages, .NET tools): the user's cache folder.</summary>
    internal static string MachineCache => Path.Combine(
        Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } cache ? cache : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"),
        "texttoimage-tests");

    static string CacheFolder => Path.Combine(MachineCache, "npm");

    /// <summary>The unpacked package folder (npm's <c>package/</c>) of <paramref name="name"/>@<paramref name="version"/>.</summary>
    public static string Unpacked(string name, string version) =>
        Path.Combine(Cached($"{name}-{version}", "package", partial =>
        {
            Run("npm", ["pack", $"{name}@{version}", "--pack-destination", partial, "--silent"]);
            var tarball = Directory.GetFiles(partial, "*.tgz").Single();
            Run("tar", ["xzf", tarball, "-C", partial]);
            File.Delete(tarball);
        }), "package");

    /// <summary>The command <paramref name="bin"/> of <paramref name="name"/>@<paramref name="version"/>, installed with its dependencies (a CLI such as a linter).</summary>
    public static string Command(string name, string version, string bin) =>
        Path.Combine(Cached($"{name.Replace('/', '+')}-{version}", Path.Combine("node_modules", ".bin", bin), partial =>
            Run("npm", ["install", "--prefix", partial, "--no-audit", "--no-fund", "--silent", $"{name}@{version}"])), "node_modules", ".bin", bin);

    /// <summary>
    /// The cache folder <paramref name="name"/>, made by <paramref name="make"/> in a folder beside it that is then renamed into place:
    /// a run killed halfway leaves no half package behind. <paramref name="marker"/> (relative) exists once it is complete.
    /// </summary>
    static string Cached(string name, string marker, Action<string> make)
    {
        var folder = Path.Combine(CacheFolder, name);
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

    static void Run(string file, string[] args)
    {
        var outcome = Commands.Run(file, args);
        if (outcome.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({outcome.ExitCode}):\n{outcome.Output}");
    }
}
