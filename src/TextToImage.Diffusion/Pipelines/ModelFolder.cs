using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Networks;
using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Samplers;
using TextToImage.Diffusion.Schedules;
using TextToImage.Diffusion.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Pipelines;

/// <summary>
/// Reads and writes the model folder layout (diffusers-like, so published weights drop in):
/// <c>model_index.json</c>, <c>text_encoder/config.json</c>, and per stage <c>config.json</c>,
/// <c>scheduler_config.json</c> and <c>diffusion_pytorch_model.safetensors</c> (or, as diffusers also saves
/// them, its fp16 variant or index-listed shards: <see cref="PretrainedWeights"/>).
/// </summary>
public static class ModelFolder
{
    public const string NetworkConfigFile = "config.json";
    public const string SchedulerConfigFile = "scheduler_config.json";
    public const string WeightsStem = "diffusion_pytorch_model";
    public const string WeightsFile = WeightsStem + ".safetensors";

    /// <summary>
    /// Loads every stage: each network built where it is kept (<see cref="ComputeTarget.Home"/>) in the precision it
    /// runs (<see cref="ComputeTarget.StageDType"/>), its weights read into it tensor by tensor.
    /// </summary>
    public static CascadeModel Load(string folder, ComputeTarget target)
    {
        TorchRuntime.EnsureAvailable();
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Model folder not found: {folder}");
        using var finalizers = FinalizerGate.Hold();
        var index = ModelIndex.Load(folder);
        var stages = new List<CascadeStage>();
        ITextEncoder? encoder = null;
        PromptVocabulary? vocabulary = null;
        try
        {
            var encoderFolder = Path.Combine(folder, index.TextEncoderFolder);
            var encoderConfig = TextEncoderConfig.Load(encoderFolder);
            encoder = encoderConfig.Create(encoderFolder, target);
            if (index.PromptVocabularyFolder is { } vocabularyFolder)
                vocabulary = PromptVocabulary.Load(Path.Combine(folder, vocabularyFolder), encoderConfig);
            foreach (var entry in index.Stages)
                stages.Add(LoadStage(folder, entry, target));
            return new CascadeModel(index.Name, encoder, stages, target, vocabulary);
        }
        catch
        {
            encoder?.Dispose();
            vocabulary?.Dispose();
            foreach (var stage in stages) stage.Network.Dispose();
            throw;
        }
    }

    static CascadeStage LoadStage(string modelFolder, StageEntry entry, ComputeTarget target)
    {
        var folder = Path.Combine(modelFolder, entry.Folder);
        var configPath = RequiredFile(entry, Path.Combine(folder, NetworkConfigFile));
        UNet2DConditionConfig config;
        try
        {
            config = UNet2DConditionConfig.Load(configPath);
        }
        catch (Exception e) when (e is NotSupportedException or ArgumentException)
        {
            throw new InvalidDataException($"Stage '{entry.Name}' ({configPath}): {e.Message}", e);
        }
        if (config.SampleSize is null)
            throw new InvalidDataException($"Stage '{entry.Name}': {NetworkConfigFile} needs sample_size, the stage's output resolution.");
        var scheduler = SchedulerConfig.Load(RequiredFile(entry, entry.SchedulerConfigPath(modelFolder)));
        try
        {
            // Build the default sampler once: a bad schedule or sampler name fails at load, not at the first request.
            using var defaultSampler = SchedulerFactory.Create(entry.Defaults.Sampler, scheduler, entry.Defaults.Eta);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            throw new InvalidDataException($"Stage '{entry.Name}' ({SchedulerConfigFile} or its defaults): {e.Message}", e);
        }
        var augmentation = AugmentationSchedule(modelFolder, entry);
        Dictionary<string, StoredTensor> weights;
        try
        {
            weights = PretrainedWeights.List(folder, WeightsStem);
        }
        catch (FileNotFoundException e)
        {
            throw new InvalidDataException($"Stage '{entry.Name}': {e.Message}", e);
        }
        var network = Build(config, target.Home, target.StageDType(entry.Kind == StageKind.SuperResolution));
        try
        {
            StateDictLoader.LoadInto(network, weights);
            network.eval();
            return new CascadeStage(entry.Name, entry.Kind, network, scheduler, entry.Defaults, entry.UseTextMask, augmentation, entry.TextInput);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The stage's network, built on <paramref name="device"/> in <paramref name="dtype"/>, so that loading needs its
    /// size once (IF-I-XL in float16: 8.6 GB) plus one tensor at a time, never a float32 copy or the whole file beside it.
    /// </summary>
    static UNet2DConditionModel Build(UNet2DConditionConfig config, Device device, ScalarType dtype)
    {
        using var on = Layers.BuildOn(device);
        using var @in = Layers.BuildIn(dtype);
        var network = new UNet2DConditionModel(config);
        // Whatever the layers did not make themselves (a buffer, a table) follows the network.
        network.to(device).to(dtype);
        return network;
    }

    static NoiseSchedule? AugmentationSchedule(string modelFolder, StageEntry entry)
    {
        if (entry.NoisingSchedulerFolder is not { } noising) return null;
        if (entry.Kind != StageKind.SuperResolution)
            throw new InvalidDataException($"Stage '{entry.Name}': noising_scheduler is for super-resolution stages, whose low-resolution input it noises.");
        var path = RequiredFile(entry, Path.Combine(modelFolder, noising, SchedulerConfigFile));
        try
        {
            return SchedulerConfig.Load(path).CreateNoiseSchedule();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"Stage '{entry.Name}' ({path}): {e.Message}", e);
        }
    }

    static string RequiredFile(StageEntry entry, string path)
    {
        return File.Exists(path) ? path : throw new InvalidDataException($"Stage '{entry.Name}': model file missing: {path}");
    }

    /// <summary>
    /// Writes a whole model folder. Every file is written atomically and the index comes last, so
    /// an interrupted save leaves a folder without <c>model_index.json</c>: visibly incomplete, never
    /// a loadable mix. A folder that already holds a model is refused unless <paramref name="overwrite"/>
    /// is set; then the old model (its index first) is removed before anything new is written.
    /// </summary>
    public static void Save(string folder, ModelIndex index, TextEncoderConfig textEncoder,
        IReadOnlyList<(UNet2DConditionModel Network, SchedulerConfig Scheduler)> stages, ScalarType? weightsDType = null, bool overwrite = false)
    {
        if (stages.Count != index.Stages.Count)
            throw new ArgumentException($"The index lists {index.Stages.Count} stages; {stages.Count} were given.");
        var indexPath = Path.Combine(folder, ModelIndex.FileName);
        if (File.Exists(indexPath))
        {
            if (!overwrite) throw new IOException($"{folder} already holds a model; choose another folder or overwrite explicitly.");
            RemoveModel(folder);
        }
        Directory.CreateDirectory(folder);
        textEncoder.Save(Path.Combine(folder, index.TextEncoderFolder));
        for (var i = 0; i < stages.Count; i++)
        {
            var stageFolder = Path.Combine(folder, index.Stages[i].Folder);
            Directory.CreateDirectory(stageFolder);
            stages[i].Network.Config.Save(Path.Combine(stageFolder, NetworkConfigFile));
            stages[i].Scheduler.Save(Path.Combine(stageFolder, SchedulerConfigFile));
            StateDictLoader.SaveFrom(stages[i].Network, Path.Combine(stageFolder, WeightsFile), weightsDType,
                new Dictionary<string, string> { ["format"] = "pt", ["stage"] = index.Stages[i].Name });
        }
        // The index last: a folder without it is visibly incomplete, never a half-written model.
        index.Save(folder);
    }

    /// <summary>Deletes the model a folder holds: its index first, then the folders it names.</summary>
    static void RemoveModel(string folder)
    {
        var old = ModelIndex.Load(folder);
        File.Delete(Path.Combine(folder, ModelIndex.FileName));
        foreach (var part in old.Stages.Select(s => s.Folder).Append(old.TextEncoderFolder).Concat(old.PromptVocabularyFolder is { } words ? [words] : []))
            DeletePart(folder, part);
    }

    /// <summary>
    /// Gives a model the prompt vocabulary of <paramref name="subjects"/> (<c>t2i vocabulary --data</c>: each training row's
    /// captions, the first the one it is drawn as): encoded on the CPU by its own text encoder into its vocabulary folder (the
    /// one the index names, else <c>vocabulary/</c>), then named in the index, so until the files are whole the model draws
    /// prompts as it did. Returns how many subjects it holds.
    /// </summary>
    public static int WritePromptVocabulary(string folder, IEnumerable<IReadOnlyList<string>> subjects)
    {
        TorchRuntime.EnsureAvailable();
        var index = ModelIndex.Load(folder);
        var encoderFolder = Path.Combine(folder, index.TextEncoderFolder);
        var config = TextEncoderConfig.Load(encoderFolder);
        using var encoder = config.Create(encoderFolder, ComputeTarget.Cpu);
        var part = index.PromptVocabularyFolder ?? PromptVocabulary.FolderName;
        var count = PromptVocabulary.Write(Path.Combine(folder, part), subjects, encoder, config);
        (index with { PromptVocabularyFolder = part }).Save(folder);
        return count;
    }

    /// <summary>
    /// Takes a model's prompt vocabulary away (<c>t2i vocabulary --remove</c>): the index first, so the model never
    /// names a folder that is gone, then the folder. False when it had none.
    /// </summary>
    public static bool RemovePromptVocabulary(string folder)
    {
        var index = ModelIndex.Load(folder);
        if (index.PromptVocabularyFolder is not { } part) return false;
        (index with { PromptVocabularyFolder = null }).Save(folder);
        DeletePart(folder, part);
        return true;
    }

    static void DeletePart(string folder, string part)
    {
        var path = Path.GetFullPath(Path.Combine(folder, part));
        // Only folders inside this one: an index naming "../x" must not delete outside it.
        if (path.StartsWith(Path.GetFullPath(folder) + Path.DirectorySeparatorChar) && Directory.Exists(path))
            Directory.Delete(path, recursive: true);
    }
}
