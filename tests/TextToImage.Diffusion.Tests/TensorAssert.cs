using static TorchSharp.torch;

namespace TextToImage.Diffusion.Tests;

static class TensorAssert
{
    /// <summary>Same dtype, same shape, every element equal.</summary>
    public static void Same(Tensor expected, Tensor actual, string? name = null)
    {
        Assert.Equal(expected.dtype, actual.dtype);
        Assert.Equal(expected.shape, actual.shape);
        using var equal = expected.eq(actual).all();
        Assert.True(equal.item<bool>(), name is null ? "values differ" : $"values of '{name}' differ");
    }

    /// <summary>Exactly equal: same shape and every element.</summary>
    public static bool Equal(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape)) return false;
        using var equal = a.eq(b).all();
        return equal.item<bool>();
    }
}
