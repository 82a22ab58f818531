using System.Diagnostics;
using System.Globalization;

namespace TextToImage.Service.Jobs;

/// <summary>
/// Lease owner names: <c>machine/pid/process-start/nonce</c>. The process part lets a restarted
/// service on the same machine see at once that the process holding a lease is gone (killed,
/// crashed), instead of waiting for the lease to run out.
/// </summary>
/// <remarks>
/// The start is the kernel's own count of clock ticks from boot to the process's start (field 22 of
/// <c>/proc/PID/stat</c>): every process reads the same integer, whatever the wall clock does. A
/// start time in wall-clock milliseconds, as .NET computes it, moves when the clock is stepped (a VM
/// resumed, NTP), and a live process read as dead has its job run twice (seen in the fleet chaos
/// test). Where there is no /proc, the start is the wall-clock time, compared with a tolerance.
/// </remarks>
public static class LeaseOwners
{
    /// <summary>Two processes compute a third one's wall-clock start time differently by milliseconds.</summary>
    static readonly TimeSpan StartTimeTolerance = TimeSpan.FromSeconds(1);

    static readonly string ThisProcess = string.Create(CultureInfo.InvariantCulture,
        $"{Environment.MachineName}/{Environment.ProcessId}/{StartOf(Process.GetCurrentProcess())}");

    /// <summary>A fresh owner name for one run of one job in this process.</summary>
    public static string New() => $"{ThisProcess}/{Guid.NewGuid():N}";

    /// <summary>
    /// True when <paramref name="owner"/> names a process on this machine that no longer runs (its
    /// pid is free, or taken by a process started at another time). False for other machines: their
    /// leases run out instead.
    /// </summary>
    public static bool IsDeadOnThisMachine(string owner)
    {
        var parts = owner.Split('/');
        if (parts.Length != 4 || parts[0] != Environment.MachineName
            || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var pid) || parts[2].Length == 0)
            return false;
        try
        {
            using var process = Process.GetProcessById(pid);
            return !StartedAt(process, parts[2]);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return true;
        }
    }

    /// <summary>How a process's start is written in owner names: <c>t</c> and boot ticks, or wall-clock milliseconds.</summary>
    public static string StartOf(Process process) =>
        BootTicks(process.Id) is { } ticks
            ? "t" + ticks.ToString(CultureInfo.InvariantCulture)
            : new DateTimeOffset(process.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);

    /// <summary>Whether <paramref name="process"/> started when <paramref name="recorded"/> says (boot ticks exactly, milliseconds roughly).</summary>
    static bool StartedAt(Process process, string recorded)
    {
        if (recorded.StartsWith('t')) return recorded == StartOf(process);
        // Written by a version (or a system) without boot ticks.
        var millis = new DateTimeOffset(process.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds();
        return long.TryParse(recorded, CultureInfo.InvariantCulture, out var written) && Math.Abs(written - millis) <= StartTimeTolerance.TotalMilliseconds;
    }

    /// <summary>Field 22 of /proc/PID/stat; null where there is no such file (not Linux, or the process is gone).</summary>
    static long? BootTicks(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        // The command name (field 2) is in parentheses and may hold spaces: count fields after its last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return fields.Length > 19 && long.TryParse(fields[19], CultureInfo.InvariantCulture, out var ticks) ? ticks : null;
    }
}
