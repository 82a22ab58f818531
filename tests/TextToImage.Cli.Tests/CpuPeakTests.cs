using TextToImage.Cli;

namespace TextToImage.Cli.Tests;

/// <summary>The FMA peak read from a cpuinfo: cores x clock x 2 x float32 lanes of the datapath x 2 pipes.</summary>
public sealed class CpuPeakTests
{
    static CpuPeak? Peak(string vendor, int family, string flags, int threads = 64, int siblings = 2, int cores = 2)
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp["cpuinfo"], $"""
            processor	: 0
            vendor_id	: {vendor}
            cpu family	: {family}
            model name	: Test CPU
            cpu MHz		: 2000.000
            siblings	: {siblings}
            cpu cores	: {cores}
            flags		: {flags}

            processor	: 1
            cpu MHz		: 9999.000
            """);
        return CpuPeak.Read(threads, temp["cpuinfo"]);
    }

    [Fact]
    public void Each_core_design_gets_its_datapath()
    {
        var cores = Math.Min(2, Environment.ProcessorCount);
        // Zen 5: 512-bit pipes, 16 lanes x 2 pipes x 2 = 64 FLOP/cycle; the first processor's clock, not the second's.
        Assert.Equal(cores * 2.0 * 64, Peak("AuthenticAMD", 26, "fpu sse2 avx2 fma avx512f")!.Gflops, 6);
        // Zen 4 runs AVX-512 on 256-bit pipes: 32 FLOP/cycle.
        Assert.Equal(cores * 2.0 * 32, Peak("AuthenticAMD", 25, "avx2 fma avx512f")!.Gflops, 6);
        Assert.Equal(cores * 2.0 * 64, Peak("GenuineIntel", 6, "avx2 fma avx512f")!.Gflops, 6);
        Assert.Equal(cores * 2.0 * 32, Peak("GenuineIntel", 6, "avx2 fma")!.Gflops, 6);
        Assert.Contains("64 FLOP/cycle", Peak("AuthenticAMD", 26, "avx2 fma avx512f")!.Description);
    }

    [Fact]
    public void Threads_bound_the_cores_and_smt_siblings_share_one()
    {
        Assert.Equal(1 * 2.0 * 64, Peak("AuthenticAMD", 26, "fma avx512f", threads: 1)!.Gflops, 6);
        // Two logical CPUs per core: the process's logical CPUs count half.
        var physical = Math.Max(1, Environment.ProcessorCount / 2);
        Assert.Equal(physical * 2.0 * 64, Peak("AuthenticAMD", 26, "fma avx512f", siblings: 4, cores: 2)!.Gflops, 6);
    }

    [Fact]
    public void An_unknown_design_or_no_fma_has_no_peak()
    {
        Assert.Null(Peak("HygonGenuine", 24, "avx2 fma"));
        Assert.Null(Peak("GenuineIntel", 6, "sse4_2 avx"));
        Assert.Null(CpuPeak.Read(1, "/nonexistent/cpuinfo"));
    }
}
