using TextToImage.Diffusion.Pipelines;

namespace TextToImage.Api.Tests.Support;

/// <summary>
/// One seeded random-weight cascade (16 px base, super-resolution to 32 and 64 px) for the whole
/// test run, in a folder of model folders that hosts point <c>Models:Folders</c> at.
/// </summary>
static class TinyModel
{
    static readonly Lazy<string> Models = new(() =>
    {
        var root = Directory.CreateTempSubdirectory("t2i-api-models-").FullName;
        RandomCascade.Create(Path.Combine(root, "tiny"), "tiny", seed: 0);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(root, recursive: true);
        return root;
    });

    /// <summary>The folder that holds the model folder.</summary>
    public static string Folder => Models.Value;

    public const string Name = "random-tiny";
}
