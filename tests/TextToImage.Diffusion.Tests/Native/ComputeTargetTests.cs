using TextToImage.Diffusion.Native;
using TorchSharp;

namespace TextToImage.Diffusion.Tests.Native;

public sealed class ComputeTargetTests
{
    [Fact]
    public void Auto_on_the_cpu_is_float32_with_bfloat16_super_resolution_where_the_cpu_has_it()
    {
        var target = ComputeTarget.Resolve();
        if (target.Device.type == DeviceType.CUDA) return; // a GPU machine: auto rightly picked it
        var native = ComputeTarget.CpuHasBFloat16();
        Assert.Equal(ComputeTarget.Cpu with { SuperResolutionDType = native ? torch.ScalarType.BFloat16 : null }, target);
        Assert.Equal(native ? "cpu/float32 (super-resolution bfloat16)" : "cpu/float32", target.ToString());
        Assert.Equal(torch.ScalarType.Float32, target.StageDType(superResolution: false));
        Assert.Equal(native ? torch.ScalarType.BFloat16 : torch.ScalarType.Float32, target.StageDType(superResolution: true));
        // An explicit float32 is float32 everywhere.
        Assert.Equal(ComputeTarget.Cpu, ComputeTarget.Resolve("cpu", "float32"));
    }

    [Fact]
    public void Explicit_choices_are_honoured_and_bad_ones_explained()
    {
        Assert.Equal(torch.ScalarType.BFloat16, ComputeTarget.Resolve("cpu", "bf16").DType);
        Assert.Contains("float16 is for GPUs", Assert.Throws<ArgumentException>(() => ComputeTarget.Resolve("cpu", "float16")).Message);
        Assert.Contains("auto, cpu or cuda", Assert.Throws<ArgumentException>(() => ComputeTarget.Resolve("tpu")).Message);
        Assert.Contains("float64", Assert.Throws<ArgumentException>(() => ComputeTarget.Resolve("cpu", "float64")).Message);
        if (!torch.cuda.is_available())
            Assert.Contains("no CUDA GPU is usable", Assert.Throws<InvalidOperationException>(() => ComputeTarget.Resolve("cuda")).Message);
    }
}
