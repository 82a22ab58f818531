using TextToImage.Diffusion.Networks;
using TextToImage.Diffusion.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Tests.Text;

public sealed class TextEmbeddingsTests
{
    [Fact]
    public void Cutting_common_padding_keeps_every_position_some_row_uses()
    {
        using var scope = NewDisposeScope();
        var states = randn(2, 6, 4);
        using var text = new TextEmbeddings(states.clone(), tensor(new[,] { { true, true, false, true, false, false }, { true, false, false, false, false, false } }), randn(2, 4));

        var (cut, mask) = text.WithoutCommonPadding();

        Assert.Equal([2L, 4, 4], cut.shape);
        TensorAssert.Same(states[.., ..4], cut);
        TensorAssert.Same(text.Mask[.., ..4], mask);
    }

    [Fact]
    public void Rows_that_use_every_position_are_returned_as_they_are()
    {
        using var scope = NewDisposeScope();
        using var text = new TextEmbeddings(randn(2, 3, 4), tensor(new[,] { { true, true, false }, { true, true, true } }), randn(2, 4));

        var (states, mask) = text.WithoutCommonPadding();

        Assert.Same(text.TokenStates, states);
        Assert.Same(text.Mask, mask);
    }

    [Fact]
    public void The_sentence_token_takes_the_first_position_and_leaves_the_other_tokens_and_the_padding_as_they_were()
    {
        using var scope = NewDisposeScope();
        var mask = tensor(new[,] { { false, true, true, false }, { true, true, false, false } });   // a first position masked out, to see it made real
        using var text = new TextEmbeddings(randn(2, 4, 3), mask, randn(2, 3));

        using var converted = text.WithSentenceTokenFirst();
        using var twice = converted.WithSentenceTokenFirst();

        using var sentence = text.AsSentenceToken();
        Assert.Equal(text.TokenStates.shape, converted.TokenStates.shape);
        TensorAssert.Same(sentence.TokenStates.squeeze(1), converted.TokenStates[.., 0]);
        TensorAssert.Same(text.TokenStates[.., 1..], converted.TokenStates[.., 1..]);
        Assert.Equal([true, true, true, false, true, true, false, false], converted.Mask.flatten().data<bool>().ToArray());
        TensorAssert.Same(text.Pooled, converted.Pooled);
        TensorAssert.Same(converted.TokenStates, twice.TokenStates);   // made from the pooled vector: a second pass changes nothing
    }

    [Fact]
    public void A_network_given_the_cut_text_predicts_what_it_predicts_from_the_padded_text()
    {
        // Masked keys get attention weight 0, and the pooled text embedding and the text norm skip them too.
        using var scope = NewDisposeScope();
        manual_seed(4);
        using var network = new UNet2DConditionModel(UNetPresets.Tiny(crossAttentionDim: 32, encoderHidDim: 48));
        network.eval();
        var mask = tensor(new[,] { { true, true, true, false, false, false, false, false }, { true, false, false, false, false, false, false, false } });
        using var text = new TextEmbeddings(randn(2, 8, 48), mask, randn(2, 48));
        var sample = randn(2, 3, 8, 8);
        var timesteps = tensor(new long[] { 10, 700 });
        using var _ = inference_mode();

        var padded = network.forward(sample, timesteps, text.TokenStates, text.Mask);
        var (states, cutMask) = text.WithoutCommonPadding();
        var cut = network.forward(sample, timesteps, states, cutMask);

        Assert.Equal(3, states.shape[1]);
        Assert.True((padded - cut).abs().max().item<float>() < 1e-5f);
    }
}
