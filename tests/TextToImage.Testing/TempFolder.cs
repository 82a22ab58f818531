namespace TextToImage.Testing;

/// <summary>A fresh folder under the system temp folder, deleted with its contents on dispose.</summary>
public sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("t2i-test-").FullName;

    /// <summary>The path of <paramref name="relative"/> inside this folder (nothing is created).</summary>
    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { /* a file still open on a failing test: leave it to the OS */ }
    }
}
