using System.Diagnostics;
using System.Globalization;

namespace TextToImage.Service.Jobs;

/// <summary>
/// Lease owner names: <c>machine/pid/process-start-ms/nonce</c>. The process part lets a
/// restarted service on the same machine see at once that the process holding a lease is gone
/// (killed, crashed), instead of waiting for the lease to run out.
/// </summary>
public static class LeaseOwners
{
    /// <summary>
    /// Two processes compute a third one's start time from their own idea of the boot time, which
    /// differs by milliseconds; a pid reused by a new process starts later than that.
    /// </summary>
    static readonly TimeSpan StartTimeTolerance = TimeSpan.FromSeconds(1);

    static readonly string ThisProcess = string.Create(CultureInfo.InvariantCulture,
        $"{Environment.MachineName}/{Environment.ProcessId}/{StartMillis(Process.GetCurrentProcess())}");

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
            || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var pid)
            || !long.TryParse(parts[2], CultureInfo.InvariantCulture, out var startMillis))
            return false;
        try
        {
            using var process = Process.GetProcessById(pid);
            return Math.Abs(StartMillis(process) - startMillis) > StartTimeTolerance.TotalMilliseconds;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return true;
        }
    }

    static long StartMillis(Process process) => new DateTimeOffset(process.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds();
}
