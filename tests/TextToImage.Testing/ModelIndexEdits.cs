using System.Text.Json.Nodes;
using TextToImage.Diffusion.Pipelines;

namespace TextToImage.Testing;

/// <summary>Edits a model folder's model_index.json the way a user would by hand.</summary>
public static class ModelIndexEdits
{
    /// <summary>Sets <paramref name="key"/> of stage entry <paramref name="stage"/> (by position) to <paramref name="value"/>.</summary>
    public static void SetStageEntry(string modelFolder, int stage, string key, JsonNode? value)
    {
        var path = Path.Combine(modelFolder, ModelIndex.FileName);
        var index = JsonNode.Parse(File.ReadAllText(path))!;
        index["stages"]![stage]![key] = value;
        File.WriteAllText(path, index.ToJsonString());
    }
}
