using Microsoft.Extensions.Logging;
using TextToImage.Diffusion.Networks;
using TextToImage.Diffusion.Pipelines;
using TextToImage.Diffusion.Samplers;
using TextToImage.Diffusion.Text;

namespace TextToImage.Service.Models;

/// <summary>
/// The model folders the service can run, found once at start-up from the configured folders:
/// each is a model folder (it holds <c>model_index.json</c>) or a folder of model folders.
/// A folder that cannot be read is logged and left out, so one bad model does not stop the rest.
/// </summary>
public sealed class ModelCatalog
{
    readonly Dictionary<string, ModelInfo> models;

    public ModelCatalog(IEnumerable<string> folders, string? defaultModel, ILogger<ModelCatalog> log)
    {
        models = new Dictionary<string, ModelInfo>(StringComparer.Ordinal);
        foreach (var folder in folders.SelectMany(ModelFolders))
        {
            try
            {
                var info = Read(folder);
                if (models.TryAdd(info.Name, info)) continue;
                var first = models[info.Name].Folder;
                // The bundled model is both in the content root and copied beside the binary: one model, nothing to warn of.
                if (ModelFolderComparison.Same(first, folder))
                    log.LogDebug("Model '{Name}' in {Folder} is the same as in {Other}.", info.Name, folder, first);
                else
                    log.LogWarning("Model '{Name}' in {Folder} is ignored: another model of that name was found first in {Other}.", info.Name, folder, first);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or System.Text.Json.JsonException or ArgumentException or NotSupportedException or UnauthorizedAccessException)
            {
                log.LogError("Model folder {Folder} cannot be read and is left out: {Reason}", folder, e.Message);
            }
        }
        DefaultName = defaultModel is { Length: > 0 } ? defaultModel : models.Keys.Order(StringComparer.Ordinal).FirstOrDefault();
        if (DefaultName is not null && !models.ContainsKey(DefaultName))
            log.LogError("The default model '{Name}' is not among the models found ({Found}).", DefaultName, string.Join(", ", models.Keys));
    }

    /// <summary>The default model's name; null when no model was found at all.</summary>
    public string? DefaultName { get; }

    public IReadOnlyCollection<ModelInfo> All => models.Values;

    public ModelInfo? Find(string? name) => name is not null && models.TryGetValue(name, out var info) ? info : null;

    static IEnumerable<string> ModelFolders(string folder)
    {
        if (File.Exists(Path.Combine(folder, ModelIndex.FileName))) return [folder];
        return Directory.Exists(folder)
            ? Directory.EnumerateDirectories(folder).Where(d => File.Exists(Path.Combine(d, ModelIndex.FileName))).Order(StringComparer.Ordinal)
            : [];
    }

    static ModelInfo Read(string folder)
    {
        var index = ModelIndex.Load(folder);
        if (index.Stages.Count == 0) throw new InvalidDataException("model_index.json lists no stages.");
        var textEncoder = TextEncoderConfig.Load(Path.Combine(folder, index.TextEncoderFolder));
        var stages = index.Stages.Select(entry =>
        {
            var stageFolder = Path.Combine(folder, entry.Folder);
            var network = UNet2DConditionConfig.Load(Path.Combine(stageFolder, ModelFolder.NetworkConfigFile));
            var scheduler = SchedulerConfig.Load(entry.SchedulerConfigPath(folder));
            var resolution = network.SampleSize ?? throw new InvalidDataException($"Stage '{entry.Name}' has no sample_size.");
            return new StageInfo(entry.Name, entry.Kind, resolution, scheduler.NumTrainTimesteps, entry.Defaults);
        }).ToList();
        return new ModelInfo(index.Name, Path.GetFullPath(folder), index.License, index.Description, textEncoder.Type, stages,
            index.PromptVocabularyFolder is not null);
    }
}
