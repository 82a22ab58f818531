using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Networks;
using TextToImage.Diffusion.Networks.Bert;
using TextToImage.Diffusion.Samplers;
using TextToImage.Diffusion.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Pipelines;

/// <summary>
/// Writes a model folder of freshly initialised (seeded) networks: the starting point of
/// training, and a small real model for tests and smoke runs of the whole stack.
/// </summary>
public static class RandomCascade
{
    public static IReadOnlyList<string> Presets { get; } = ["tiny", "small"];

    /// <summary>Text encoder choices: the pretrained MiniLM, or the weightless hashed encoder (tests).</summary>
    public static IReadOnlyList<string> TextEncoders { get; } = ["minilm", "hashed"];

    /// <summary>
    /// <c>tiny</c>: 16 px base, super-resolution to 32 and 64 px, a few hundred thousand parameters in all (tests).
    /// <c>small</c>: the CPU-sized cascade, 32 px base and 32 -> 128 super-resolution.
    /// Weights are stored as <paramref name="weightsDType"/> (default float32; float16 halves the files).
    /// <paramref name="textEncoder"/>: <c>minilm</c> or <c>hashed</c>; null picks the preset's default,
    /// hashed for <c>tiny</c> (tests stay fast) and MiniLM for <c>small</c>. A MiniLM model folder gets
    /// the converted encoder weights too, so its first load does not convert.
    /// <paramref name="baseNetwork"/> replaces the preset's base network (a network of one's own design, same image
    /// size and text width), checked by <see cref="CheckBaseNetwork"/> before anything is written.
    /// </summary>
    public static void Create(string folder, string preset, long seed = 0, bool overwrite = false, ScalarType? weightsDType = null,
        string? textEncoder = null, UNet2DConditionConfig? baseNetwork = null)
    {
        TorchRuntime.EnsureAvailable();
        var minilm = (textEncoder ?? (preset == "tiny" ? "hashed" : "minilm")) switch
        {
            "minilm" => true,
            "hashed" => false,
            var other => throw new ArgumentException($"Unknown text encoder '{other}' (known: {string.Join(", ", TextEncoders)})."),
        };
        int? tinyTextDim = minilm ? BertConfig.MiniLmL6V2.HiddenSize : null;   // tiny hashed text is 32 wide, no projection
        var (encoder, configs) = preset switch
        {
            "tiny" => (minilm ? TextEncoderConfig.MiniLm() : Hashed(32, 16), new (string Name, StageKind Kind, UNet2DConditionConfig Network)[]
            {
                ("base", StageKind.Base, UNetPresets.Tiny(16, 32, superResolution: false, encoderHidDim: tinyTextDim)),
                ("sr_32", StageKind.SuperResolution, UNetPresets.Tiny(32, 32, superResolution: true, encoderHidDim: tinyTextDim)),
                ("sr_64", StageKind.SuperResolution, UNetPresets.Tiny(64, 32, superResolution: true, encoderHidDim: tinyTextDim)),
            }),
            "small" => (minilm ? TextEncoderConfig.MiniLm() : Hashed(384, 32), new (string Name, StageKind Kind, UNet2DConditionConfig Network)[]
            {
                ("base", StageKind.Base, UNetPresets.Base32(384)),
                ("sr_128", StageKind.SuperResolution, UNetPresets.SuperResolution(32, 128, 384)),
            }),
            _ => throw new ArgumentException($"Unknown preset '{preset}' (known: {string.Join(", ", Presets)})."),
        };
        if (baseNetwork is not null)
        {
            CheckBaseNetwork(baseNetwork, configs[0].Network, preset);
            configs[0] = configs[0] with { Network = baseNetwork };
        }

        torch.manual_seed(seed);
        // clip_sample off: DDIM (as diffusers writes it) clamps x₀ but keeps the ε of the unclamped
        // prediction, and with guidance that mismatch wrecks the image (the first bundled model's DDIM
        // retrieval was 0 % with it, on a par with DPM-Solver++ without it).
        var scheduler = new SchedulerConfig
        {
            ClassName = "DDPMScheduler", BetaSchedule = "squaredcos_cap_v2", PredictionType = "epsilon", ClipSample = false,
        };
        var stages = configs.Select(c => (Network: new UNet2DConditionModel(c.Network), Scheduler: scheduler)).ToList();
        try
        {
            var index = new ModelIndex
            {
                Name = $"random-{preset}",
                License = "MIT",
                Description = $"Untrained, seed {seed}: for tests and as a starting point for training.",
                Stages = configs.Select(c => new StageEntry
                {
                    Name = c.Name,
                    Folder = c.Name,
                    Kind = c.Kind,
                    Defaults = c.Kind == StageKind.Base ? new StageDefaults { Steps = 50 } : new StageDefaults { Steps = 25, GuidanceScale = 1.0 },
                }).ToList(),
            };
            ModelFolder.Save(folder, index, encoder, stages, weightsDType, overwrite);
            if (minilm)
            {
                // Loading once converts the package's ONNX into the folder's weight cache.
                var encoderFolder = Path.Combine(folder, index.TextEncoderFolder);
                encoder.Create(encoderFolder, ComputeTarget.Cpu).Dispose();
            }
        }
        finally
        {
            foreach (var stage in stages) stage.Network.Dispose();
        }
    }

    /// <summary>
    /// A base network the cascade can run in place of <paramref name="presetBase"/>: the same image size (the next
    /// stage upsamples from it), the same input and output channels (the preset's scheduler predicts epsilon with a fixed
    /// variance), the same text width, and no class labels (a base stage gets none).
    /// </summary>
    static void CheckBaseNetwork(UNet2DConditionConfig config, UNet2DConditionConfig presetBase, string preset)
    {
        void Require(bool ok, string what, object? value, object? expected)
        {
            if (!ok) throw new ArgumentException($"The base network's {what} is {value ?? "not set"}; the {preset} cascade's base needs {expected}.");
        }
        Require(config.SampleSize == presetBase.SampleSize, "sample_size", config.SampleSize, presetBase.SampleSize);
        Require(config.InChannels == presetBase.InChannels, "in_channels", config.InChannels, presetBase.InChannels);
        Require(config.OutChannels == presetBase.OutChannels, "out_channels", config.OutChannels, presetBase.OutChannels);
        Require(config.TextStatesDim == presetBase.TextStatesDim, "text width (encoder_hid_dim, else cross_attention_dim)",
            config.TextStatesDim, $"{presetBase.TextStatesDim}, its text encoder's");
        Require(config.ClassEmbedType is null, "class_embed_type", config.ClassEmbedType, "none (a base stage gets no class labels)");
    }

    static TextEncoderConfig Hashed(int dim, int tokens) =>
        new() { Type = HashedTokenTextEncoder.TypeName, EmbeddingDim = dim, MaxTokens = tokens, Seed = 1 };
}
