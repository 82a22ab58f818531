namespace TextToImage.Testing;

/// <summary>
/// Runs the built t2i as its own process, as a user would. It runs the t2i.dll beside the test
/// assembly: a test project that uses this references src/TextToImage.Cli, whose build output lands there.
/// </summary>
public static class T2iProcess
{
    public static CommandOutcome Run(params string[] args) =>
        Commands.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "t2i.dll"), .. args], Wide);

    /// <summary>Runs <c>deploy/t2i</c>, the clone's wrapper (it builds src/TextToImage.Cli when stale), with <paramref name="args"/>.</summary>
    public static CommandOutcome RunFromClone(params string[] args) =>
        Commands.Run("bash", [Path.Combine(RepoRoot.Path, "deploy", "t2i"), .. args], Wide);

    // Tables and progress lines as wide as a real terminal's, so the tests read whole rows.
    static Dictionary<string, string> Wide => new() { ["COLUMNS"] = "200" };
}
