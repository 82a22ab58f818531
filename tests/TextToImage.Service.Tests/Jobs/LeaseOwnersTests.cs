using System.Diagnostics;
using TextToImage.Service.Jobs;

namespace TextToImage.Service.Tests.Jobs;

public sealed class LeaseOwnersTests
{
    [Fact]
    public void This_process_is_alive_and_every_owner_name_is_new()
    {
        var owner = LeaseOwners.New();
        Assert.StartsWith($"{Environment.MachineName}/{Environment.ProcessId}/", owner);
        Assert.False(LeaseOwners.IsDeadOnThisMachine(owner));
        Assert.NotEqual(owner, LeaseOwners.New());
    }

    [Fact]
    public void An_exited_process_is_dead_and_a_reused_pid_is_told_apart_by_its_start_time()
    {
        using var process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        process.WaitForExit();
        Assert.True(LeaseOwners.IsDeadOnThisMachine($"{Environment.MachineName}/{process.Id}/1/x"));

        var thisProcess = LeaseOwners.New().Split('/');
        Assert.StartsWith("t", thisProcess[2]); // Linux: boot ticks from /proc
        Assert.True(LeaseOwners.IsDeadOnThisMachine($"{thisProcess[0]}/{thisProcess[1]}/t{long.Parse(thisProcess[2][1..]) + 1}/x"));
    }

    [Fact]
    public async Task Another_live_process_is_alive_whether_its_start_was_written_as_boot_ticks_or_as_wall_clock_time()
    {
        using var sleeper = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
        try
        {
            Assert.False(LeaseOwners.IsDeadOnThisMachine($"{Environment.MachineName}/{sleeper.Id}/{LeaseOwners.StartOf(sleeper)}/x"));
            // An owner name written without boot ticks (an earlier version): wall-clock milliseconds, read with a tolerance.
            var start = new DateTimeOffset(sleeper.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds();
            Assert.False(LeaseOwners.IsDeadOnThisMachine($"{Environment.MachineName}/{sleeper.Id}/{start + 300}/x"));
            Assert.True(LeaseOwners.IsDeadOnThisMachine($"{Environment.MachineName}/{sleeper.Id}/{start + 60_000}/x"));
        }
        finally
        {
            sleeper.Kill();
            await sleeper.WaitForExitAsync();
        }
    }

    [Theory]
    [InlineData("another-machine/1/1/x")]
    [InlineData("not an owner")]
    [InlineData("")]
    public void Owners_elsewhere_or_unreadable_are_never_called_dead(string owner) =>
        Assert.False(LeaseOwners.IsDeadOnThisMachine(owner));
}
