using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Native;

/// <summary>Where and in which precision the networks run.</summary>
public sealed record ComputeTarget(Device Device, ScalarType DType)
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
    /// (auto = float32 on CPU, float16 on GPUs: every CUDA GPU runs it fast, and it is what DeepFloyd
    /// IF's U-Nets are published and run in; bfloat16 on request).
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
        var precision = dtype.ToLowerInvariant() switch
        {
            "auto" => onGpu ? ScalarType.Float16 : ScalarType.Float32,
            "float32" or "fp32" => ScalarType.Float32,
            "bfloat16" or "bf16" => ScalarType.BFloat16,
            "float16" or "fp16" => onGpu ? ScalarType.Float16 : throw new ArgumentException(
                "float16 is for GPUs: on CPU use float32 or bfloat16.", nameof(dtype)),
            _ => throw new ArgumentException($"Unknown dtype '{dtype}': use auto, float32, float16 or bfloat16.", nameof(dtype)),
        };
        return new ComputeTarget(target, precision);
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

    public override string ToString() => $"{Device.type.ToString().ToLowerInvariant()}/{DType.ToString().ToLowerInvariant()}";
}
