using TorchSharp;
using static TorchSharp.torch;

namespace TextToImage.Training.Training;

/// <summary>
/// An EMA of a network's parameters. The decay warms up as min(decay, (1 + n) / (10 + n)): with a
/// fixed 0.999 a short run's average is still mostly the random initialisation (measured: 23% of it
/// left after 1,470 steps).
/// </summary>
public sealed class ExponentialMovingAverage : IDisposable
{
    readonly IReadOnlyList<(string Name, Tensor Live)> _parameters;
    readonly Dictionary<string, Tensor> _average;

    public ExponentialMovingAverage(nn.Module network, double maxDecay)
    {
        MaxDecay = maxDecay;
        _parameters = network.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).ToList();
        using var noGrad = no_grad();
        _average = _parameters.ToDictionary(p => p.Name, p => p.Live.detach().clone().DetachFromDisposeScope());
    }

    public double MaxDecay { get; }

    public IReadOnlyDictionary<string, Tensor> Average => _average;

    public double DecayAt(long updates) => Math.Min(MaxDecay, (1.0 + updates) / (10.0 + updates));

    /// <param name="updates">Updates made before this one (the optimiser step count).</param>
    public void Update(long updates)
    {
        var decay = DecayAt(updates);
        using var noGrad = no_grad();
        foreach (var (name, live) in _parameters)
            _average[name].mul_(decay).add_(live.detach(), alpha: 1 - decay);
    }

    /// <summary>Replaces the average (resume); shapes must match.</summary>
    public void Load(IReadOnlyDictionary<string, Tensor> saved)
    {
        using var noGrad = no_grad();
        foreach (var (name, tensor) in _average)
        {
            if (!saved.TryGetValue(name, out var value)) throw new InvalidDataException($"The EMA checkpoint has no '{name}'.");
            tensor.copy_(value);
        }
    }

    public void Dispose()
    {
        foreach (var tensor in _average.Values) tensor.Dispose();
    }
}
