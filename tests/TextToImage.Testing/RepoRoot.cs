namespace TextToImage.Testing;

/// <summary>The repository's root: the first folder above the test binaries that holds Api.sln.</summary>
public static class RepoRoot
{
    static readonly Lazy<string> root = new(Find);

    public static string Path => root.Value;

    static string Find()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(folder.FullName, "Api.sln")))
                return folder.FullName;
        }
        throw new InvalidOperationException($"No Api.sln in {AppContext.BaseDirectory} or any folder above it: cannot find the repository root.");
    }
}
