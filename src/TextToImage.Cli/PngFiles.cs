using TextToImage.Diffusion.Pipelines;

namespace TextToImage.Cli;

static class PngFiles
{
    /// <summary>Writes the final images: <paramref name="output"/> itself for one, NAME-i.png for several.</summary>
    public static IReadOnlyList<string> Write(GenerationResult result, GenerationRequest request, CascadePipeline pipeline, FileInfo output)
    {
        var pngs = GeneratedPngs.Encode(result.Final, request, pipeline.Model);
        var folder = output.DirectoryName ?? ".";
        Directory.CreateDirectory(folder);
        var paths = pngs.Count == 1
            ? [output.FullName]
            : pngs.Select((_, i) => Path.Combine(folder, $"{Path.GetFileNameWithoutExtension(output.Name)}-{i + 1}{output.Extension}")).ToList();
        for (var i = 0; i < pngs.Count; i++)
        {
            // Temp file then rename: an interrupted run never leaves a truncated PNG behind.
            var temp = paths[i] + ".tmp";
            File.WriteAllBytes(temp, pngs[i]);
            File.Move(temp, paths[i], overwrite: true);
        }
        return paths;
    }
}
