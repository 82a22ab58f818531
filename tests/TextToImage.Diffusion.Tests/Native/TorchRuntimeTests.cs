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
        using var generator = new torch.Generator(0);
        using var x = torch.randn([5], generator: generator);
        // torch.manual_seed(0); torch.randn(5) in PyTorch.
        float[] expected = [1.5410f, -0.2934f, -2.1788f, 0.5684f, -1.0845f];
        var actual = x.data<float>().ToArray();
        for (var i = 0; i < 5; i++) Assert.Equal(expected[i], actual[i], 1e-4f);
    }

    [Fact]
    public void The_build_adapts_TorchSharp_exactly_where_libstdcxx_lacks_GLIBCXX_3_4_32_and_changes_only_two_entries()
    {
        if (!OperatingSystem.IsLinux()) return;
        var built = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"));
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                       ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var original = File.ReadAllBytes(Path.Combine(packages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so"));
        var libstdcxx = new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6" }.First(File.Exists);
        var systemIsNew = System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(libstdcxx)).Contains("GLIBCXX_3.4.32\0");

        Assert.Equal(original.Length, built.Length);
        var changedBytes = original.Zip(built).Count(pair => pair.First != pair.Second);
        if (systemIsNew)
            Assert.Equal(0, changedBytes);
        else
            // One 16-bit .gnu.version entry (version index -> 1) and one flag byte of the version need.
            Assert.InRange(changedBytes, 2, 3);
    }
}
