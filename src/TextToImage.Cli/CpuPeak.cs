using System.Globalization;

namespace TextToImage.Cli;

/// <summary>
/// The CPU's float32 FMA peak on paper: cores x clock x FLOPs per cycle, each read from /proc/cpuinfo.
/// FLOPs per cycle = 2 (an FMA) x float32 lanes of the FMA datapath x FMA pipes. The instruction set
/// (the flags) gives the register width; the datapath and pipe count are the core design's, looked up by
/// vendor and family: AMD Zen 3/4 (family 25) execute AVX-512 on 2 pipes of 256 bits, Zen 5 (family 26)
/// on 2 of 512; Intel cores with AVX-512 are taken to have 2 FMA units of 512 bits (Xeon Gold and
/// Platinum; some Silver and client parts have one: the peak is then half). The clock is what the
/// kernel reports ("cpu MHz": under a hypervisor, the nominal one); boost clocks run above it, so a
/// well-blocked matmul can exceed this peak. Null off Linux or on a CPU this table does not know.
/// </summary>
public sealed record CpuPeak(string Description, double Gflops)
{
    /// <param name="threads">The threads libtorch computes with: the cores counted are at most these.</param>
    public static CpuPeak? Read(int threads, string cpuinfo = "/proc/cpuinfo")
    {
        if (!File.Exists(cpuinfo)) return null;
        var fields = File.ReadLines(cpuinfo).TakeWhile(line => line.Length > 0)   // the first processor's block
            .Select(line => line.Split(':', 2)).Where(p => p.Length == 2)
            .GroupBy(p => p[0].Trim()).ToDictionary(g => g.Key, g => g.First()[1].Trim());
        if (!fields.TryGetValue("flags", out var flagText) || !fields.TryGetValue("cpu MHz", out var mhzText)
            || !double.TryParse(mhzText, CultureInfo.InvariantCulture, out var mhz)) return null;
        var flags = flagText.Split(' ').ToHashSet();
        if (!flags.Contains("fma")) return null;
        var registerBits = flags.Contains("avx512f") ? 512 : 256;
        var vendor = fields.GetValueOrDefault("vendor_id", "");
        var family = int.TryParse(fields.GetValueOrDefault("cpu family"), out var f) ? f : 0;
        int? datapathBits = (vendor, family) switch
        {
            ("AuthenticAMD", >= 26) => 512,
            ("AuthenticAMD", 23 or 25) => 256,
            ("GenuineIntel", _) => registerBits,
            _ => null,
        };
        if (datapathBits is null) return null;
        const int pipes = 2;
        var lanes = Math.Min(registerBits, datapathBits.Value) / 32;
        var flopsPerCycle = 2 * lanes * pipes;
        // The cores libtorch's threads can occupy: logical CPUs over the threads that share one core's FMA units.
        var threadsPerCore = int.TryParse(fields.GetValueOrDefault("siblings"), out var siblings) && int.TryParse(fields.GetValueOrDefault("cpu cores"), out var cores) && cores > 0
            ? Math.Max(1, siblings / cores) : 1;
        var physical = Math.Max(1, Math.Min(threads, Environment.ProcessorCount / threadsPerCore));
        var gflops = physical * mhz / 1e3 * flopsPerCycle;
        var clock = FormattableString.Invariant($"{physical} core{(physical == 1 ? "" : "s")} x {mhz / 1e3:F2} GHz x {flopsPerCycle} FLOP/cycle");
        var cycle = FormattableString.Invariant($"(FMA x {lanes} float32 lanes of a {datapathBits}-bit datapath x {pipes} pipes) = {gflops:F0} GFLOP/s");
        return new CpuPeak($"{fields.GetValueOrDefault("model name", "CPU")} (family {family}): {clock} {cycle}", gflops);
    }
}
