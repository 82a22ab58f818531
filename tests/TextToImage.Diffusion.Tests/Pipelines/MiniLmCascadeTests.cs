using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Pipelines;
using TextToImage.Diffusion.Text;
using TorchSharp;

namespace TextToImage.Diffusion.Tests.Pipelines;

/// <summary>The tiny random cascade conditioned on the pretrained MiniLM encoder (384-wide text).</summary>
public sealed class MiniLmCascadeTests
{
    [Fact]
    public void A_tiny_cascade_generates_with_the_minilm_encoder()
    {
        using var folder = new TempFolder();
        RandomCascade.Create(folder.Path, "tiny", seed: 3, textEncoder: "minilm");
        var encoderFolder = Path.Combine(folder.Path, "text_encoder");
        Assert.Equal(MiniLmTextEncoder.TypeName, TextEncoderConfig.Load(encoderFolder).Type);
        // new-model converted the encoder weights into the folder, so loading does not convert.
        Assert.True(File.Exists(Path.Combine(encoderFolder, MiniLmWeights.FileName)));

        using var model = ModelFolder.Load(folder.Path, ComputeTarget.Cpu);
        var cache = Assert.IsType<CachedTextEncoder>(model.TextEncoder);
        Assert.IsType<MiniLmTextEncoder>(cache.Inner);
        Assert.Equal(384, model.TextEncoder.EmbeddingDim);

        var pipeline = new CascadePipeline(model);
        using var apple = pipeline.Generate(TinyCascade.Request("a red apple", resolution: 32));
        using var boat = pipeline.Generate(TinyCascade.Request("a sailing boat at dusk", resolution: 32));

        Assert.Equal([1L, 3, 32, 32], apple.Final.Images.shape);
        Assert.True(apple.Final.Images.isfinite().all().item<bool>());
        // Same seed, other prompt: the text reaches the networks.
        Assert.False(apple.Stages[0].Images.allclose(boat.Stages[0].Images));
        // The empty (unconditional) prompt was encoded once for both requests.
        Assert.Equal(3, cache.Misses);
    }
}
