using TextToImage.Diffusion.Text;

namespace TextToImage.Diffusion.Tests.Text;

public sealed class HashedTokenTextEncoderTests
{
    [Fact]
    public void Encodes_to_padded_tokens_with_a_mask_and_a_unit_pooled_vector()
    {
        using var encoder = new HashedTokenTextEncoder(embeddingDim: 8, maxTokens: 6);
        using var embeddings = encoder.Encode(["a cat", "", "one two three four five six seven"]);

        Assert.Equal([3, 6, 8], embeddings.TokenStates.shape);
        Assert.Equal([3, 8], embeddings.Pooled.shape);
        // Start token + words; the empty prompt keeps its start token; the long one is truncated.
        Assert.Equal([3L, 1L, 6L], embeddings.Mask.sum(1).data<long>().ToArray());
        Assert.True(embeddings.Pooled.norm(1).allclose(TorchSharp.torch.ones(3)));
        Assert.Equal(0f, embeddings.TokenStates[0, 3..].abs().sum().item<float>());
    }

    [Fact]
    public void Is_deterministic_by_seed_and_case_insensitive()
    {
        using var a = new HashedTokenTextEncoder(16, 8, seed: 5);
        using var b = new HashedTokenTextEncoder(16, 8, seed: 5);
        using var c = new HashedTokenTextEncoder(16, 8, seed: 6);
        using var ea = a.Encode(["A Red Apple"]);
        using var eb = b.Encode(["a red apple"]);
        using var ec = c.Encode(["a red apple"]);
        using var ed = a.Encode(["a green apple"]);

        Assert.True(TensorAssert.Equal(ea.TokenStates, eb.TokenStates));
        Assert.False(ea.TokenStates.allclose(ec.TokenStates));
        Assert.False(ea.Pooled.allclose(ed.Pooled));
    }

    [Fact]
    public void Select_picks_rows_in_the_order_given()
    {
        using var encoder = new HashedTokenTextEncoder(8, 4);
        using var prompts = encoder.Encode(["cat", ""]);
        using var selected = prompts.Select([1, 0, 0]);

        Assert.Equal(3, selected.Count);
        Assert.True(TensorAssert.Equal(selected.TokenStates[0], prompts.TokenStates[1]));
        Assert.True(TensorAssert.Equal(selected.Mask[2], prompts.Mask[0]));
        Assert.True(TensorAssert.Equal(selected.Pooled[1], prompts.Pooled[0]));
    }
}
