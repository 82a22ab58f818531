using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Native;
using TextToImage.Training.Training;
using static TorchSharp.torch;

namespace TextToImage.Training.Tests.Training;

public sealed class TextAugmentationTests : IDisposable
{
    readonly TinyTrainingSetup _setup = new();
    readonly TextEmbeddingCache _text;

    public TextAugmentationTests()
    {
        var data = _setup.Data(16);
        var rows = TextToImage.Training.Data.ImageFolder.Open(data).Rows;
        _text = TextEmbeddingCache.Load(data, Path.Combine(_setup.Model, "text_encoder"), rows.Select(r => r.Captions).ToList());
    }

    public void Dispose()
    {
        _text.Dispose();
        _setup.Dispose();
    }

    /// <summary>Every caption row of the cache 100 times over: enough tokens for the rates to show.</summary>
    (Tensor States, Tensor Mask) Batch()
    {
        var rows = arange(_text.States.shape[0]).repeat(100);
        return (_text.States.index_select(0, rows), _text.Mask.index_select(0, rows));
    }

    [Fact]
    public void Off_it_returns_the_captions_as_they_are_and_draws_nothing()
    {
        using var scope = NewDisposeScope();
        var (states, mask) = Batch();
        using var used = new Generator(7);
        using var untouched = new Generator(7);

        var (outStates, outMask) = new TextAugmentation(0, 0, _text).Apply(states, mask, used);

        Assert.Same(states, outStates);
        Assert.Same(mask, outMask);
        Assert.True(randn([8], generator: used).eq(randn([8], generator: untouched)).all().item<bool>());   // the run's later draws are unchanged
    }

    [Fact]
    public void Token_dropout_hides_tokens_after_the_first_at_its_rate_and_zeroes_their_states()
    {
        using var scope = NewDisposeScope();
        var (states, mask) = Batch();
        using var random = new Generator(7);

        var (outStates, outMask) = new TextAugmentation(0.3, 0, _text).Apply(states, mask, random);

        Assert.True(outMask[.., 0].eq(mask[.., 0]).all().item<bool>());                          // the first token always stays
        Assert.False(outMask.logical_and(mask.logical_not()).any().item<bool>());             // padding stays padding
        var droppable = mask[.., 1..];
        var hidden = droppable.logical_and(outMask[.., 1..].logical_not());
        var rate = hidden.sum().item<long>() / (double)droppable.sum().item<long>();
        Assert.InRange(rate, 0.25, 0.35);
        var kept = outMask.unsqueeze(-1).expand_as(states);
        Assert.True(outStates.masked_select(kept).eq(states.masked_select(kept)).all().item<bool>());   // kept tokens unchanged
        Assert.Equal(0, outStates.masked_select(kept.logical_not()).abs().sum().item<float>()); // hidden ones zero, like padding
    }

    [Fact]
    public void Text_noise_is_gaussian_at_real_tokens_scaled_by_the_states_rms_and_leaves_padding_zero()
    {
        using var scope = NewDisposeScope();
        var (states, mask) = Batch();
        using var random = new Generator(7);
        var real = mask.unsqueeze(-1).expand_as(states);
        var statesRms = Math.Sqrt(_text.States.masked_select(_text.Mask.unsqueeze(-1).expand_as(_text.States)).square().mean().item<float>());

        var (outStates, outMask) = new TextAugmentation(0, 0.5, _text).Apply(states, mask, random);

        Assert.Same(mask, outMask);
        var noise = (outStates - states).masked_select(real);
        Assert.InRange(noise.mean().item<float>() / statesRms, -0.02, 0.02);
        Assert.InRange(noise.std().item<float>() / statesRms, 0.48, 0.52);
        Assert.Equal(0, outStates.masked_select(real.logical_not()).abs().sum().item<float>());
    }

    [Fact]
    public void A_run_with_it_trains_on_other_conditioning_than_one_without()
    {
        using (var plain = new StageTrainer(_setup.Run("plain"), _setup.Options(steps: 2), ComputeTarget.Cpu)) plain.Train();
        using (var noisy = new StageTrainer(_setup.Run("noisy"), _setup.Options(steps: 2) with { TokenDropout = 0.3, TextNoise = 0.5 }, ComputeTarget.Cpu)) noisy.Train();

        using var scope = NewDisposeScope();
        var a = Safetensors.Load(Path.Combine(_setup.Run("plain"), "checkpoint", "model.safetensors"));
        var b = Safetensors.Load(Path.Combine(_setup.Run("noisy"), "checkpoint", "model.safetensors"));
        // Same seed, same images, timesteps and noise: only the captions' augmentation can make the weights differ.
        Assert.Contains(a, p => !p.Value.eq(b[p.Key]).all().item<bool>());
    }
}
