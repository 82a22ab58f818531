using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Networks;
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

    /// <summary>
    /// <c>tiny</c>: 16 px base, super-resolution to 32 and 64 px, a few hundred thousand parameters in all (tests).
    /// <c>small</c>: the CPU-sized cascade, 32 px base and 32 -> 128 super-resolution.
    /// Weights are stored as <paramref name="weightsDType"/> (default float32; float16 halves the files).
    /// </summary>
    public static void Create(string folder, string preset, long seed = 0, bool overwrite = false, ScalarType? weightsDType = null)
    {
        TorchRuntime.EnsureAvailable();
        var (encoder, configs) = preset switch
        {
            "tiny" => (Encoder(32, 16), new (string Name, StageKind Kind, UNet2DConditionConfig Network)[]
            {
                ("base", StageKind.Base, UNetPresets.Tiny(16, 32, superResolution: false)),
                ("sr_32", StageKind.SuperResolution, UNetPresets.Tiny(32, 32, superResolution: true)),
                ("sr_64", StageKind.SuperResolution, UNetPresets.Tiny(64, 32, superResolution: true)),
            }),
            "small" => (Encoder(384, 32), new (string Name, StageKind Kind, UNet2DConditionConfig Network)[]
            {
                ("base", StageKind.Base, UNetPresets.Base32(384)),
                ("sr_128", StageKind.SuperResolution, UNetPresets.SuperResolution(32, 128, 384)),
            }),
            _ => throw new ArgumentException($"Unknown preset '{preset}' (known: {string.Join(", ", Presets)})."),
        };

        torch.manual_seed(seed);
        var scheduler = new SchedulerConfig { ClassName = "DDPMScheduler", BetaSchedule = "squaredcos_cap_v2", PredictionType = "epsilon" };
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
        }
        finally
        {
            foreach (var stage in stages) stage.Network.Dispose();
        }
    }

    static TextEncoderConfig Encoder(int dim, int tokens) =>
        new() { Type = HashedTokenTextEncoder.TypeName, EmbeddingDim = dim, MaxTokens = tokens, Seed = 1 };
}
