using TextToImage.Service.Hosting;

namespace TextToImage.Service.Tests.Hosting;

public sealed class JobsOptionsTests
{
    [Fact]
    public void The_defaults_are_usable() => Assert.Empty(new JobsOptions().Problems());

    [Fact]
    public void Each_bad_setting_is_named_with_its_value()
    {
        var problems = new JobsOptions
        {
            Storage = "redis", WorkerCount = 0, MaxQueueLength = 0, MaxAttempts = 11, LeaseDuration = TimeSpan.FromSeconds(1),
            QueuePollInterval = TimeSpan.Zero,
        }.Problems();
        Assert.Equal(6, problems.Count);
        Assert.Contains(problems, p => p.Contains("Jobs:Storage 'redis'"));
        Assert.Contains(problems, p => p.Contains("Jobs:WorkerCount") && p.EndsWith("not 0"));
        Assert.Contains(problems, p => p.Contains("Jobs:MaxAttempts") && p.EndsWith("not 11"));
        Assert.Contains(problems, p => p.Contains("Jobs:QueuePollInterval"));
    }
}
