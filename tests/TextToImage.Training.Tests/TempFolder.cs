namespace TextToImage.Training.Tests;

/// <summary>A fresh folder under the system temp, deleted on dispose.</summary>
public sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("t2i-training-test-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { /* a file still open on a failing test: leave it to the OS */ }
    }
}
