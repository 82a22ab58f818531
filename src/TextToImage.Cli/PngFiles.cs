using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Pipelines;

namespace TextToImage.Cli;

static class PngFiles
{
    /// <summary>Writes the final images: <paramref name="output"/> itself for one, NAME-i.png for several.</summary>
    public static IReadOnlyList<string> Write(GenerationResult result, GenerationRequest request, CascadePipeline pipeline, FileInfo output) =>
        Write(result, request, pipeline.Model, output);

    public static IReadOnlyList<string> Write(GenerationResult result, GenerationRequest request, CascadeModel model, FileInfo output)
    {
        var pngs = GeneratedImages.Encode(result.Final, request, model);
        var folder = output.DirectoryName ?? ".";
        Directory.CreateDirectory(folder);
        var paths = pngs.Count == 1
            ? [output.FullName]
            : pngs.Select((_, i) => Path.Combine(folder, $"{Path.GetFileNameWithoutExtension(output.Name)}-{i + 1}{output.Extension}")).ToList();
        // Each file appears whole or not at all: an interrupted run never leaves a truncated PNG.
        for (var i = 0; i < pngs.Count; i++) AtomicFile.WriteAllBytes(paths[i], pngs[i]);
        return paths;
    }
}
