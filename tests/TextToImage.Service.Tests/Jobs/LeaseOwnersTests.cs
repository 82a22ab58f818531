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
        Assert.True(LeaseOwners.IsDeadOnThisMachine($"{thisProcess[0]}/{thisProcess[1]}/{long.Parse(thisProcess[2]) + 60_000}/x"));
    }

    [Fact]
    public async Task Another_live_process_is_alive_although_its_start_time_is_computed_elsewhere()
    {
        using var sleeper = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
        try
        {
            // What the sleeper would write as its own owner name, from its own reading of its start time.
            var start = new DateTimeOffset(sleeper.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds();
            Assert.False(LeaseOwners.IsDeadOnThisMachine($"{Environment.MachineName}/{sleeper.Id}/{start + 300}/x"));
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
