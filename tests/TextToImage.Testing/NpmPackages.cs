namespace TextToImage.Testing;

/// <summary>
/// Real npm packages for tests: published data (Fluent Emoji's SVGs, emojibase's annotations) and command-line tools (the
/// OpenAPI linters), fetched once per machine into a cache folder, so a second run reads them from disk. npm is what
/// deploy/test.sh installs.
/// </summary>
public static class NpmPackages
{
    /// <summary>The unpacked package folder (npm's <c>package/</c>) of <paramref name="name"/>@<paramref name="version"/>.</summary>
    public static string Unpacked(string name, string version) =>
        Path.Combine(MachineCache.Get($"npm/{name}-{version}", "package", partial =>
        {
            MachineCache.Run("npm", ["pack", $"{name}@{version}", "--pack-destination", partial, "--silent"]);
            var tarball = Directory.GetFiles(partial, "*.tgz").Single();
            MachineCache.Run("tar", ["xzf", tarball, "-C", partial]);
            File.Delete(tarball);
        }), "package");

    /// <summary>The command <paramref name="bin"/> of <paramref name="name"/>@<paramref name="version"/>, installed with its dependencies (a CLI such as a linter).</summary>
    public static string Command(string name, string version, string bin) =>
        Path.Combine(MachineCache.Get($"npm/{name.Replace('/', '+')}-{version}", Path.Combine("node_modules", ".bin", bin), partial =>
            MachineCache.Run("npm", ["install", "--prefix", partial, "--no-audit", "--no-fund", "--silent", $"{name}@{version}"])), "node_modules", ".bin", bin);
}
