using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Networks;
using TextToImage.Diffusion.Pipelines;
using TextToImage.Diffusion.Samplers;
using static TorchSharp.torch;

namespace TextToImage.Training.Training;

/// <summary>One stage of a model folder as training sees it: its files, network config, schedule and input size.</summary>
public sealed class StageDefinition
{
    StageDefinition(string modelFolder, ModelIndex index, StageEntry entry, UNet2DConditionConfig network, SchedulerConfig scheduler, int? lowResolution)
    {
        ModelFolderPath = modelFolder;
        Index = index;
        Entry = entry;
        NetworkConfig = network;
        Scheduler = scheduler;
        LowResolution = lowResolution;
    }

    public string ModelFolderPath { get; }
    public ModelIndex Index { get; }
    public StageEntry Entry { get; }
    public UNet2DConditionConfig NetworkConfig { get; }
    public SchedulerConfig Scheduler { get; }

    /// <summary>The previous stage's resolution, for a super-resolution stage; null for the base.</summary>
    public int? LowResolution { get; }

    public int Resolution => NetworkConfig.SampleSize ?? throw new InvalidDataException($"Stage '{Entry.Name}' has no sample_size.");
    public string Folder => Path.Combine(ModelFolderPath, Entry.Folder);
    public string TextEncoderFolder => Path.Combine(ModelFolderPath, Index.TextEncoderFolder);

    public static StageDefinition Load(string modelFolder, string stageName)
    {
        var index = ModelIndex.Load(modelFolder);
        var position = index.Stages.ToList().FindIndex(s => s.Name == stageName);
        if (position < 0)
            throw new ArgumentException($"{modelFolder} has no stage '{stageName}' (it has: {string.Join(", ", index.Stages.Select(s => s.Name))}).");
        var entry = index.Stages[position];
        var folder = Path.Combine(modelFolder, entry.Folder);
        var network = UNet2DConditionConfig.Load(Path.Combine(folder, Diffusion.Pipelines.ModelFolder.NetworkConfigFile));
        var scheduler = SchedulerConfig.Load(entry.SchedulerConfigPath(modelFolder));
        int? low = null;
        if (entry.Kind == StageKind.SuperResolution)
        {
            if (position == 0) throw new InvalidDataException($"Stage '{stageName}' is a super-resolution stage but comes first.");
            var previous = index.Stages[position - 1];
            low = UNet2DConditionConfig.Load(Path.Combine(modelFolder, previous.Folder, Diffusion.Pipelines.ModelFolder.NetworkConfigFile)).SampleSize;
        }
        return new StageDefinition(modelFolder, index, entry, network, scheduler, low);
    }

    /// <summary>The network with the stage's stored weights (float32, CPU).</summary>
    public UNet2DConditionModel LoadNetwork()
    {
        var weights = PretrainedWeights.Load(Folder, Diffusion.Pipelines.ModelFolder.WeightsStem);
        try { return NewNetwork(weights); }
        finally { foreach (var tensor in weights.Values) tensor.Dispose(); }
    }

    /// <summary>A network of this stage's config holding <paramref name="weights"/> (float32, CPU).</summary>
    public UNet2DConditionModel NewNetwork(IReadOnlyDictionary<string, Tensor> weights)
    {
        var network = new UNet2DConditionModel(NetworkConfig);
        try
        {
            StateDictLoader.LoadInto(network, weights);
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>The stage as the samplers take it, with the scheduler predicting what the network was trained on.</summary>
    public CascadeStage AsCascadeStage(UNet2DConditionModel network, string objective) =>
        new(Entry.Name, Entry.Kind, network, Scheduler with { PredictionType = objective }, Entry.Defaults, Entry.UseTextMask, TextInput: Entry.TextInput);

    /// <summary>Writes trained weights (and the scheduler's prediction type) into the model folder, each file atomically.</summary>
    public void Save(UNet2DConditionModel network, string objective, ScalarType dtype, IReadOnlyDictionary<string, string> metadata)
    {
        StateDictLoader.SaveFrom(network, Path.Combine(Folder, Diffusion.Pipelines.ModelFolder.WeightsFile), dtype, metadata);
        (Scheduler with { PredictionType = objective }).Save(Entry.SchedulerConfigPath(ModelFolderPath));
    }
}
