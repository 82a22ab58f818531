using TextToImage.Diffusion.Pipelines;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Tests.Pipelines;

public sealed class ClassifierFreeGuidanceTests
{
    [Fact]
    public void Guides_the_prediction_from_the_unconditional_towards_the_conditional_half()
    {
        using var conditional = full(2, 3, 2, 2, 1.0f);
        using var unconditional = full(2, 3, 2, 2, 0.5f);
        using var output = cat([conditional, unconditional]);
        using var guided = ClassifierFreeGuidance.Combine(output, 4.0, imageChannels: 3);

        Assert.Equal([2, 3, 2, 2], guided.shape);
        Assert.True(guided.allclose(full(2, 3, 2, 2, 0.5f + 4 * 0.5f)));
    }

    [Fact]
    public void Learned_variance_channels_come_from_the_conditional_branch_unguided()
    {
        using var conditional = cat([full(1, 3, 2, 2, 1.0f), full(1, 3, 2, 2, 0.25f)], 1);
        using var unconditional = cat([full(1, 3, 2, 2, 0.0f), full(1, 3, 2, 2, 0.75f)], 1);
        using var guided = ClassifierFreeGuidance.Combine(cat([conditional, unconditional]), 7.0, imageChannels: 3);

        Assert.Equal([1, 6, 2, 2], guided.shape);
        Assert.True(guided[.., ..3].allclose(full(1, 3, 2, 2, 7.0f)));
        Assert.True(guided[.., 3..].allclose(full(1, 3, 2, 2, 0.25f)));
    }
}
