
namespace TextToImage.Api.Tests.Support;

/// <summary>
/// An <see cref="ApiHost"/> serving the bundled model (the repository's <c>models/</c>, fluent-emoji:
/// 32 px base, 128 px super-resolution, MiniLM text encoder) instead of the tiny random one.
/// </summary>
public sealed class BundledModelHost : IDisposable
{
    public ApiHost Host { get; } = new(new Dictionary<string, string?> { ["Models:Folders:0"] = Path.Combine(RepoRoot.Path, "models") });

    public void Dispose() => Host.Dispose();
}
