using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Networks;
using TextToImage.Diffusion.Samplers;
using TextToImage.Diffusion.Schedules;
using TextToImage.Diffusion.Text;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Pipelines;

/// <summary>A loaded cascade: the text encoder, its stages, base first, and its prompt vocabulary if it has one. Owns them.</summary>
public sealed class CascadeModel(string name, ITextEncoder textEncoder, IReadOnlyList<CascadeStage> stages, ComputeTarget target,
    PromptVocabulary? vocabulary = null) : IDisposable
{
    public string Name { get; } = name;
    public ITextEncoder TextEncoder { get; } = textEncoder;
    public IReadOnlyList<CascadeStage> Stages { get; } = Checked(stages, textEncoder.EmbeddingDim);
    public ComputeTarget Target { get; } = target;
    public PromptVocabulary? Vocabulary { get; } = vocabulary;

    /// <summary>
    /// What the stages draw for each prompt: with a vocabulary, the first caption of the subject nearest it (null for the empty prompt, and
    /// for every prompt without a vocabulary: then the prompt itself is drawn).
    /// </summary>
    public IReadOnlyList<PromptMatch?> MatchPrompts(IReadOnlyList<string> prompts) =>
        Vocabulary?.Match(TextEncoder, prompts) ?? new PromptMatch?[prompts.Count];

    /// <summary>The text each prompt is drawn as (<see cref="MatchPrompts"/>).</summary>
    public IReadOnlyList<string> PromptsToDraw(IReadOnlyList<string> prompts) =>
        [.. MatchPrompts(prompts).Select((match, i) => match?.Caption ?? prompts[i])];

    /// <summary>The output resolution of each stage, in order.</summary>
    public IReadOnlyList<int> Resolutions => Stages.Select(s => s.Resolution).ToList();

    /// <summary>Catches a model folder whose parts do not fit together at load, not at the first request.</summary>
    static IReadOnlyList<CascadeStage> Checked(IReadOnlyList<CascadeStage> stages, int textDim)
    {
        if (stages.Count == 0 || stages[0].Kind != StageKind.Base || stages.Skip(1).Any(s => s.Kind != StageKind.SuperResolution))
            throw new InvalidDataException("A cascade is one base stage followed by super-resolution stages.");
        for (var i = 0; i < stages.Count; i++)
        {
            var stage = stages[i];
            var config = stage.Network.Config;
            if (config.TextStatesDim != textDim)
                throw new InvalidDataException($"Stage '{stage.Name}' takes text embeddings of width {config.TextStatesDim}, but the text encoder gives {textDim}.");
            if (config.OutChannels != stage.ImageChannels && config.OutChannels != 2 * stage.ImageChannels)
                throw new InvalidDataException($"Stage '{stage.Name}' outputs {config.OutChannels} channels: expected {stage.ImageChannels} (a prediction) or {2 * stage.ImageChannels} (with learned variance).");
            if (i == 0) continue;
            var previous = stages[i - 1];
            if (stage.ImageChannels != previous.ImageChannels || config.InChannels % 2 != 0)
                throw new InvalidDataException($"Super-resolution stage '{stage.Name}' takes {config.InChannels} input channels: expected twice the {previous.ImageChannels} image channels of '{previous.Name}'.");
            if (stage.Resolution <= previous.Resolution)
                throw new InvalidDataException($"Stage '{stage.Name}' ({stage.Resolution} px) must be larger than '{previous.Name}' ({previous.Resolution} px).");
        }
        return stages;
    }

    public void Dispose()
    {
        TextEncoder.Dispose();
        Vocabulary?.Dispose();
        foreach (var stage in Stages) stage.Network.Dispose();
    }
}

/// <summary>
/// One stage: its network, the scheduler configuration it was trained with, and its defaults. A super-resolution
/// stage's low-resolution input is noised with <paramref name="AugmentationSchedule"/> when it has one of its own
/// (DeepFloyd IF's image_noising_scheduler), else with its scheduler's. <paramref name="TextInput"/> says what of the
/// encoded prompt the network attends to.
/// </summary>
public sealed record CascadeStage(string Name, StageKind Kind, UNet2DConditionModel Network, SchedulerConfig Scheduler, StageDefaults Defaults,
    bool UseTextMask = true, NoiseSchedule? AugmentationSchedule = null, StageTextInput TextInput = StageTextInput.Tokens)
{
    public int Resolution => Network.Config.SampleSize
        ?? throw new InvalidDataException($"Stage '{Name}' has no sample_size in its config.");

    /// <summary>The precision the network computes in (its parameters'); the sampler's own state stays float32.</summary>
    // parameters() hands out the module's own tensors: read, never dispose.
    public ScalarType DType { get; } = Network.parameters().First().dtype;

    /// <summary>Image channels sampled; a network with learned variance outputs twice as many.</summary>
    public int ImageChannels => Kind == StageKind.SuperResolution ? Network.Config.InChannels / 2 : Network.Config.InChannels;
}
