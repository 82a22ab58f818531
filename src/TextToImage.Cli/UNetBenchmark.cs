using System.Diagnostics;
using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Networks;
using TextToImage.Diffusion.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace TextToImage.Cli;

/// <summary>One timed workload, computed in <paramref name="DType"/>.</summary>
sealed record BenchmarkRow(string Name, long Parameters, string Input, double MedianSeconds, double Gflop, ScalarType DType)
{
    public double GflopsPerSecond => Gflop / MedianSeconds;
}

/// <summary>Times workloads on one target: a warm-up call, then the median of the timed repetitions.</summary>
sealed class UNetBenchmark(ComputeTarget target, int iterations)
{
    const int WarmUp = 2;

    /// <summary>
    /// An n x n matmul in <paramref name="dtype"/> (default: the target's): its fastest repetition, a ceiling the machine
    /// reached, not its typical time.
    /// </summary>
    public BenchmarkRow Matmul(int n, ScalarType? dtype = null)
    {
        using var scope = NewDisposeScope();
        var type = dtype ?? target.DType;
        var a = randn(n, n).to(type, target.Device);
        var b = randn(n, n).to(type, target.Device);
        var seconds = Times(() => a.matmul(b), Math.Max(3, iterations / Math.Max(1, n / 1024)), WarmUp, target.Device.type == DeviceType.CUDA).Min();
        var name = type == target.DType ? $"matmul {n}^3 (best)" : $"matmul in {type.ToString().ToLowerInvariant()}, {n}^3 (best)";
        return new BenchmarkRow(name, 0, $"{n}x{n}", seconds, 2.0 * n * n * n / 1e9, type);
    }

    /// <summary>Median wall time of <paramref name="repeats"/> runs of <paramref name="run"/>, after one to warm up (first-call allocations).</summary>
    public static double EndToEnd(Action run, int repeats)
    {
        var times = Times(run, repeats, warmUp: 1, synchronize: false).Order().ToList();
        return times[times.Count / 2];
    }

    /// <summary>A forward pass of a random network of <paramref name="config"/> in <paramref name="dtype"/> (default: the target's).</summary>
    public BenchmarkRow Forward(string name, UNet2DConditionConfig config, int batch, int textTokens, ScalarType? dtype = null)
    {
        using var scope = NewDisposeScope();
        var type = dtype ?? target.DType;
        manual_seed(0);
        using var network = new UNet2DConditionModel(config);
        network.to(target.Device).to(type).eval();
        var size = config.SampleSize ?? throw new ArgumentException($"{name}: the config has no sample_size.");
        long[] shape = [batch, config.InChannels, size, size];
        var sample = randn(shape).to(type, target.Device);
        var timesteps = full(batch, 500, ScalarType.Int64, target.Device);
        var text = randn(batch, textTokens, config.TextStatesDim).to(type, target.Device);
        var mask = ones(batch, textTokens, ScalarType.Bool, target.Device);
        var labels = config.ClassEmbedType is null ? null : full(batch, 250, ScalarType.Int64, target.Device);
        using var inference = inference_mode();
        var seconds = Median(() => network.forward(sample, timesteps, text, mask, labels));
        var flops = UNetFlops.CountForward(network, shape, textTokens);
        return new BenchmarkRow(name, network.ParameterCount(), string.Join("x", shape), seconds, flops / 1e9, type);
    }

    /// <summary>
    /// Encoding <paramref name="prompts"/> with the (uncached) MiniLM encoder. FLOPs: two per weight of
    /// the Linear layers per token, plus QK^T and attention-times-V.
    /// </summary>
    public BenchmarkRow Encode(MiniLmTextEncoder encoder, IReadOnlyList<string> prompts)
    {
        var tokens = prompts.Select(p => encoder.TokenIds(p).Count).ToList();
        var seconds = Median(() => encoder.Encode(prompts).Dispose());
        var linearWeights = 6 * (4 * 384 * 384 + 2 * 384 * 1536);
        var flops = tokens.Sum(t => t * (2.0 * linearWeights + 6 * 4.0 * tokens.Max() * 384));
        var parameters = encoder.ParameterBytes / sizeof(float);
        return new BenchmarkRow($"MiniLM encode x{prompts.Count}", parameters, $"{prompts.Count}x{tokens.Max()} tokens", seconds, flops / 1e9, target.DType);
    }

    /// <summary>Median seconds of <paramref name="call"/>; everything a call allocates is freed before the next.</summary>
    double Median(Action call)
    {
        var times = Times(call, iterations, WarmUp, target.Device.type == DeviceType.CUDA).Order().ToList();
        return times[times.Count / 2];
    }

    /// <summary>Seconds of each of <paramref name="count"/> timed calls, after <paramref name="warmUp"/> untimed ones.</summary>
    static List<double> Times(Action call, int count, int warmUp, bool synchronize)
    {
        for (var i = 0; i < warmUp; i++) Synchronized(call, synchronize);
        return Enumerable.Range(0, Math.Max(1, count)).Select(_ =>
        {
            var clock = Stopwatch.StartNew();
            Synchronized(call, synchronize);
            return clock.Elapsed.TotalSeconds;
        }).ToList();
    }

    static void Synchronized(Action call, bool cudaSynchronize)
    {
        using var scope = NewDisposeScope();
        call();
        if (cudaSynchronize) cuda.synchronize();
    }
}
