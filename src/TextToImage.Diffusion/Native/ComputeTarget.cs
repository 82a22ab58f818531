using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Native;

/// <summary>
/// Where and in which precision the networks run: <paramref name="DType"/> for the text encoder and the base stage,
/// <paramref name="SuperResolutionDType"/> (when set) for the super-resolution stages. With <paramref name="Offload"/>
/// on a GPU, the networks wait in CPU memory and each goes to the GPU only while it runs (<see cref="OnDevice"/>): the
/// GPU then needs the largest of them, not all together.
/// </summary>
public sealed record ComputeTarget(Device Device, ScalarType DType, ScalarType? SuperResolutionDType = null, bool Offload = false)
{
    /// <summary>float32 on the CPU. (A property, not a static field: touching torch's types loads libtorch.)</summary>
    public static ComputeTarget Cpu
    {
        get
        {
            TorchRuntime.EnsureAvailable();
            return new ComputeTarget(CPU, ScalarType.Float32);
        }
    }

    /// <summary>
    /// Resolves the configuration words: device <c>auto|cpu|cuda</c> (auto = CUDA when the
    /// libtorch in use has it and a GPU is present) and dtype <c>auto|float32|float16|bfloat16</c>
    /// (auto on GPUs: float16, which every CUDA GPU runs fast and DeepFloyd IF's U-Nets are published and
    /// run in; auto on CPUs: float32, with the super-resolution stages in bfloat16 where the CPU computes
    /// bfloat16 natively (<see cref="CpuHasBFloat16"/>). A base stage in bfloat16 moves pictures (its
    /// rounding grows over the sampling and is then upscaled); a super-resolution stage in bfloat16 stays
    /// within a few 8-bit levels of float32 and runs ~1.4x faster. Any other word applies to every network.
    /// </summary>
    public static ComputeTarget Resolve(string device = "auto", string dtype = "auto")
    {
        TorchRuntime.EnsureAvailable();
        var target = device.ToLowerInvariant() switch
        {
            "auto" => CudaPresent() ? CUDA : CPU,
            "cpu" => CPU,
            "cuda" => CudaPresent() ? CUDA : throw new InvalidOperationException(
                "Device 'cuda' was requested, but no CUDA GPU is usable: this build has the CPU libtorch " +
                "(rebuild with -p:TorchBackend=cuda where the CUDA packages can be restored) or no GPU is present."),
            _ => throw new ArgumentException($"Unknown device '{device}': use auto, cpu or cuda.", nameof(device)),
        };
        var onGpu = target.type == DeviceType.CUDA;
        return dtype.ToLowerInvariant() switch
        {
            "auto" when onGpu => new ComputeTarget(target, ScalarType.Float16),
            "auto" => new ComputeTarget(target, ScalarType.Float32, CpuHasBFloat16() ? ScalarType.BFloat16 : null),
            "float32" or "fp32" => new ComputeTarget(target, ScalarType.Float32),
            "bfloat16" or "bf16" => new ComputeTarget(target, ScalarType.BFloat16),
            "float16" or "fp16" => onGpu ? new ComputeTarget(target, ScalarType.Float16) : throw new ArgumentException(
                "float16 is for GPUs: on CPU use float32 or bfloat16.", nameof(dtype)),
            _ => throw new ArgumentException($"Unknown dtype '{dtype}': use auto, float32, float16 or bfloat16.", nameof(dtype)),
        };
    }

    /// <summary>Where the networks are kept between uses: the CPU when offloading from a GPU, else the device itself.</summary>
    public Device Home => Offloads ? CPU : Device;

    bool Offloads => Offload && Device.type != DeviceType.CPU;

    /// <summary>
    /// Puts <paramref name="network"/> on the device until the result is disposed, then back in CPU memory, when
    /// offloading; otherwise it is on the device already and nothing moves.
    /// </summary>
    public IDisposable OnDevice(nn.Module network)
    {
        if (!Offloads) return Placed.Nowhere;
        // Module.to moves every weight and disposes the one it replaces at once (NetworkMoveTests): the GPU copy's
        // memory is free again when the network is back on the CPU, not when a garbage collection runs.
        network.to(Device);
        return new Placed(() => network.to(CPU));
    }

    sealed class Placed(Action back) : IDisposable
    {
        public static readonly Placed Nowhere = new(() => { });

        public void Dispose() => back();
    }

    /// <summary>The precision a stage of this kind runs in.</summary>
    public ScalarType StageDType(bool superResolution) => superResolution ? SuperResolutionDType ?? DType : DType;

    /// <summary>
    /// Whether this CPU has bfloat16 dot products (AVX512-BF16 or AMX-BF16, as Linux's /proc/cpuinfo flags name them):
    /// without them libtorch emulates bfloat16 and it is slower than float32.
    /// </summary>
    public static bool CpuHasBFloat16()
    {
        const string CpuInfo = "/proc/cpuinfo";
        if (!File.Exists(CpuInfo)) return false;
        var flags = File.ReadLines(CpuInfo).FirstOrDefault(line => line.StartsWith("flags", StringComparison.Ordinal));
        return flags is not null && flags.Split(' ', ':', '\t').Any(flag => flag is "avx512_bf16" or "amx_bf16");
    }

    static bool CudaPresent()
    {
        try
        {
            return torch.TryInitializeDeviceType(DeviceType.CUDA) && cuda.is_available();
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or ExternalException)
        {
            return false;
        }
    }

    public override string ToString() =>
        $"{Device.type.ToString().ToLowerInvariant()}/{DType.ToString().ToLowerInvariant()}"
        + (SuperResolutionDType is { } sr && sr != DType ? $" (super-resolution {sr.ToString().ToLowerInvariant()})" : "")
        + (Offloads ? ", offloaded to the CPU between uses" : "");
}
