using TextToImage.Diffusion.Native;
using TorchSharp;

namespace TextToImage.Diffusion.Tests.Native;

public sealed class ComputeTargetTests
{
    [Fact]
    public void Auto_is_float32_on_the_cpu_when_no_gpu_is_usable()
    {
        var target = ComputeTarget.Resolve();
        if (target.Device.type == DeviceType.CUDA) return; // a GPU machine: auto rightly picked it
        Assert.Equal(ComputeTarget.Cpu, target);
        Assert.Equal("cpu/float32", target.ToString());
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
