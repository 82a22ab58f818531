using TextToImage.Diffusion.Native;
using TorchSharp;

namespace TextToImage.Diffusion.Tests.Native;

public sealed class TorchRuntimeTests
{
    [Fact]
    public void Libtorch_loads_and_computes()
    {
        TorchRuntime.EnsureAvailable();
        using var a = torch.ones(4, 4);
        using var b = torch.mm(a, a);
        Assert.Equal(64f, b.sum().item<float>());
    }

    [Fact]
    public void Seeded_randn_matches_pytorch()
    {
        TorchRuntime.EnsureAvailable();
        torch.manual_seed(0);
        using var x = torch.randn(5);
        // torch.manual_seed(0); torch.randn(5) in PyTorch.
        float[] expected = [1.5410f, -0.2934f, -2.1788f, 0.5684f, -1.0845f];
        var actual = x.data<float>().ToArray();
        for (var i = 0; i < 5; i++) Assert.Equal(expected[i], actual[i], 1e-4f);
    }

    [Fact]
    public void Shim_is_loaded_exactly_when_the_system_libstdcxx_lacks_GLIBCXX_3_4_32()
    {
        var libstdcxx = new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6" }
            .FirstOrDefault(File.Exists);
        if (!OperatingSystem.IsLinux() || libstdcxx is null) return;
        var needsShim = !System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(libstdcxx)).Contains("GLIBCXX_3.4.32\0");
        Assert.Equal(needsShim, TorchRuntime.LoadedShim is not null);
    }
}
