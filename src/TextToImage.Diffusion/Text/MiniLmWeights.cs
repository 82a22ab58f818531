using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Networks.Bert;

namespace TextToImage.Diffusion.Text;

/// <summary>
/// Puts all-MiniLM-L6-v2's weights into a <see cref="BertModel"/>. The first load converts the
/// package's ONNX export (about 1 s) and saves the result as safetensors in the model's
/// text_encoder folder; later loads read that file. The file is written atomically, so a crash
/// mid-conversion leaves no half file; a folder that cannot be written to only costs the
/// conversion at every load.
/// </summary>
public static class MiniLmWeights
{
    public const string FileName = "model.safetensors";

    /// <summary>Loads <paramref name="model"/> from <paramref name="folder"/>'s cache, converting (and caching) first when absent.</summary>
    public static void LoadInto(BertModel model, string folder)
    {
        var cached = Path.Combine(folder, FileName);
        if (!File.Exists(cached)) Convert(model, cached);
        var weights = Safetensors.Load(cached);
        try
        {
            StateDictLoader.LoadInto(model, weights);
        }
        finally
        {
            foreach (var tensor in weights.Values) tensor.Dispose();
        }
    }

    /// <summary>Imports the package's ONNX into <paramref name="model"/> and writes the cache file (best effort).</summary>
    static void Convert(BertModel model, string cached)
    {
        using (var onnx = MiniLmPackage.OpenModel())
            ImportOnnx(model, onnx, $"{MiniLmPackage.Name}: {MiniLmPackage.ModelResource}");
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(cached)!);
            StateDictLoader.SaveFrom(model, cached, metadata: new Dictionary<string, string>
            {
                ["format"] = "pt",
                ["source"] = $"{MiniLmPackage.Name}, {MiniLmPackage.ModelResource}",
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only model folder still loads: the weights are already in the model.
        }
    }

    /// <summary>
    /// Loads the weights of an ONNX export of this BERT into <paramref name="model"/>. A file that is
    /// not such an export throws <see cref="InvalidDataException"/> naming <paramref name="source"/>
    /// and what was missing.
    /// </summary>
    public static void ImportOnnx(BertModel model, Stream onnx, string source)
    {
        var graph = OnnxGraph.Read(onnx, source);
        var wanted = model.state_dict().Keys.ToList();
        var weights = OnnxWeightImport.Import(graph, wanted, source);
        try
        {
            StateDictLoader.LoadInto(model, weights);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }
        finally
        {
            foreach (var tensor in weights.Values) tensor.Dispose();
        }
    }
}
