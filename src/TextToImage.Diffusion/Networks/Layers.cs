using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TextToImage.Diffusion.Networks;

/// <summary>
/// Makes every layer of the networks, so that three things hold everywhere: normalisation
/// layers start at weight 1, bias 0 (TorchSharp 0.107's GroupNorm leaves both
/// uninitialised, garbage up to 1e33); convolutions compute channels-last (see
/// <see cref="ChannelsLastConv2d"/> for the libtorch CPU bug this avoids) and group norms take
/// their output in whichever layout is fast (<see cref="GroupNorm2d"/>); and a whole network
/// can be built on another device (<see cref="BuildOn"/> with the meta device lays out an
/// IF-sized network without memory) or directly in another precision (<see cref="BuildIn"/>: IF-I-XL
/// in float16 is 8.6 GB, never 17.2 GB in float32 first).
/// </summary>
public static class Layers
{
    // Thread-static: building is synchronous on one thread, and parallel tests must not see
    // each other's device.
    [ThreadStatic] static Device? buildDevice;
    [ThreadStatic] static ScalarType? buildDType;

    /// <summary>Layers made on this thread go to <paramref name="device"/> until the result is disposed.</summary>
    public static IDisposable BuildOn(Device device)
    {
        var previous = buildDevice;
        buildDevice = device;
        return new Restore(() => buildDevice = previous);
    }

    /// <summary>Layers made on this thread hold <paramref name="dtype"/> parameters until the result is disposed.</summary>
    public static IDisposable BuildIn(ScalarType dtype)
    {
        var previous = buildDType;
        buildDType = dtype;
        return new Restore(() => buildDType = previous);
    }

    public static ChannelsLastConv2d Conv2d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0) =>
        new(inChannels, outChannels, kernelSize, stride, padding, buildDevice, buildDType);

    public static Linear Linear(long inFeatures, long outFeatures) =>
        nn.Linear(inFeatures, outFeatures, hasBias: true, device: buildDevice, dtype: buildDType);

    public static GroupNorm2d GroupNorm(long groups, long channels, double eps) => new(groups, channels, eps, buildDevice, buildDType);

    public static LayerNorm LayerNorm(long channels, double eps = 1e-5)
    {
        // LayerNorm initialises correctly in 0.107; resetting anyway keeps one rule for all norms.
        var norm = nn.LayerNorm(channels, eps, device: buildDevice, dtype: buildDType);
        ResetAffine(norm.weight!, norm.bias);
        return norm;
    }

    public static Dropout Dropout(double p) => nn.Dropout(p);

    /// <summary>A learned tensor initialised as randn(shape) * scale (diffusers' positional embeddings).</summary>
    public static Parameter RandomParameter(long[] shape, double scale)
    {
        using var _ = no_grad();
        using var init = randn(shape, dtype: buildDType, device: buildDevice);
        return Owned(new Parameter(init.mul(scale)));
    }

    /// <summary>
    /// A parameter belongs to its module, not to whatever dispose scope the network happens to be
    /// built in: without this a network built inside a scope loses its weights when the scope ends.
    /// </summary>
    public static Parameter Owned(Parameter parameter)
    {
        parameter.DetachFromDisposeScope();
        return parameter;
    }

    /// <summary>diffusers' <c>get_activation</c> names.</summary>
    public static Func<Tensor, Tensor> Activation(string name) => name switch
    {
        "silu" or "swish" => x => F.silu(x),
        "gelu" => x => F.gelu(x),
        "mish" => x => F.mish(x),
        "relu" => x => F.relu(x),
        _ => throw new NotSupportedException($"Activation \"{name}\" is not supported (silu, swish, gelu, mish, relu)."),
    };

    internal static readonly string[] ActivationNames = ["silu", "swish", "gelu", "mish", "relu"];

    static void ResetAffine(Tensor weight, Tensor? bias)
    {
        using var _ = no_grad();
        weight.fill_(1);
        bias?.zero_();
    }

    sealed class Restore(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }
}
