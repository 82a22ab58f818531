namespace TextToImage.Diffusion.Tests.Native;

/// <summary>The build's packages cannot drift: deploy/check-locked-restore.sh against a local feed that serves a new version.</summary>
public sealed class LockedRestoreTests
{
    [Fact]
    public async Task A_feed_serving_another_transitive_version_changes_nothing_and_an_unlocked_pin_fails()
    {
        var (exitCode, output) = await Commands.RunAsync("bash", [Path.Combine(RepoRoot.Path, "deploy", "check-locked-restore.sh")],
            RepoRoot.Path, TimeSpan.FromMinutes(10));
        Assert.True(exitCode == 0, output);
        Assert.Contains("leaves the locked 4.3.2 in place", output);
        Assert.Contains("fails restore with NU1004", output);
    }
}
