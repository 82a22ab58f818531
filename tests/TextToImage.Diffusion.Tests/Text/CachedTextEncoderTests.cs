using TextToImage.Diffusion.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Tests.Text;

public sealed class CachedTextEncoderTests
{
    /// <summary>Counts the prompts that reach the real encoder.</summary>
    sealed class CountingEncoder(ITextEncoder inner) : ITextEncoder
    {
        public List<IReadOnlyList<string>> Calls { get; } = [];
        public int EmbeddingDim => inner.EmbeddingDim;
        public int MaxTokens => inner.MaxTokens;
        public TextEmbeddings Encode(IReadOnlyList<string> prompts)
        {
            Calls.Add(prompts);
            return inner.Encode(prompts);
        }
        public void Dispose() => inner.Dispose();
    }

    static (CachedTextEncoder Cache, CountingEncoder Counter) Create(int capacity)
    {
        var counter = new CountingEncoder(new HashedTokenTextEncoder(8, 6));
        return (new CachedTextEncoder(counter, capacity), counter);
    }

    [Fact]
    public void Repeated_prompts_are_encoded_once_and_answers_equal_the_encoder()
    {
        var (cache, counter) = Create(4);
        using var _ = cache;
        using var direct = new HashedTokenTextEncoder(8, 6);

        using (var first = cache.Encode(["a cat", ""])) { }
        using var second = cache.Encode(["", "a dog", "a cat", "a dog"]);
        using var expected = direct.Encode(["", "a dog", "a cat", "a dog"]);

        // Only the one new prompt, once, reached the encoder on the second call.
        Assert.Equal([["a cat", ""], ["a dog"]], counter.Calls);
        Assert.Equal((3, 3), (cache.Hits, cache.Misses));
        Assert.True(TensorAssert.Equal(expected.TokenStates, second.TokenStates));
        Assert.True(TensorAssert.Equal(expected.Mask, second.Mask));
        Assert.True(TensorAssert.Equal(expected.Pooled, second.Pooled));
    }

    [Fact]
    public void Holds_at_most_its_capacity_evicting_the_least_recently_used()
    {
        var (cache, counter) = Create(2);
        using var _ = cache;
        cache.Encode(["a"]).Dispose();
        cache.Encode(["b"]).Dispose();
        cache.Encode(["a"]).Dispose();      // "a" is now the most recent
        cache.Encode(["c"]).Dispose();      // evicts "b"
        Assert.Equal(2, cache.Count);

        counter.Calls.Clear();
        cache.Encode(["a", "c"]).Dispose();
        Assert.Empty(counter.Calls);
        cache.Encode(["b"]).Dispose();
        Assert.Equal([["b"]], counter.Calls);
        Assert.Equal(2, cache.Count);

        // More new prompts in one call than the capacity: all answered, only the capacity kept.
        using var many = cache.Encode(["1", "2", "3", "4", "5"]);
        Assert.Equal(5, many.Count);
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public void Returned_embeddings_are_the_callers_to_dispose()
    {
        var (cache, _) = Create(4);
        using var __ = cache;
        cache.Encode(["a cat"]).Dispose();
        // The cached entry survived the caller's dispose, and outlives a dispose scope.
        using (torch.NewDisposeScope())
        {
            using var again = cache.Encode(["a cat"]);
            Assert.Equal(1f, again.Pooled.norm().item<float>(), 4);
        }
        using var third = cache.Encode(["a cat"]);
        Assert.Equal(1f, third.Pooled.norm().item<float>(), 4);
    }

    [Fact]
    public void Hits_misses_and_eviction_leave_no_tensor_alive()
    {
        var live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var (cache, _) = Create(3);
        for (var i = 0; i < 20; i++)
            cache.Encode(["", $"prompt {i % 5}", "a cat"]).Dispose();
        Assert.Equal(3, cache.Count);
        cache.Dispose();
        Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
