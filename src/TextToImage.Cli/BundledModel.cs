namespace TextToImage.Cli;

/// <summary>
/// The model a command uses when none is named: the bundled <c>fluent-emoji</c> cascade, which the
/// build copies from the repository's <c>models/</c> beside the binary; a <c>models/</c> folder in the
/// working directory is looked at too (running from a checkout).
/// </summary>
static class BundledModel
{
    public const string Name = "fluent-emoji";

    public static string Resolve(DirectoryInfo? given)
    {
        if (given is not null) return given.FullName;
        var places = new[] { Path.Combine(AppContext.BaseDirectory, "models"), Path.Combine(Environment.CurrentDirectory, "models") };
        foreach (var place in places)
        {
            var folder = Path.Combine(place, Name);
            if (File.Exists(Path.Combine(folder, "model_index.json"))) return folder;
        }
        throw new DirectoryNotFoundException($"No --model given and the bundled model '{Name}' is not in {string.Join(" or ", places)}.");
    }
}
