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
            Storage = (JobStoreEngine)7, WorkerCount = 2, MaxQueueLength = 0, MaxAttempts = 11, LeaseDuration = TimeSpan.FromSeconds(1),
            QueuePollInterval = TimeSpan.Zero,
        }.Problems();
        Assert.Equal(6, problems.Count);
        Assert.Contains(problems, p => p.Contains("Jobs:Storage '7'"));
        Assert.Contains(problems, p => p.Contains("Jobs:WorkerCount must be 1, not 2"));
        Assert.Contains(problems, p => p.Contains("Jobs:MaxAttempts") && p.EndsWith("not 11"));
        Assert.Contains(problems, p => p.Contains("Jobs:QueuePollInterval"));
    }

    [Fact]
    public void PostgreSQL_needs_its_connection_string()
    {
        var options = new JobsOptions { Storage = JobStoreEngine.Postgresql };
        Assert.Contains("ConnectionStrings:Jobs", Assert.Single(options.Problems(connectionString: null)));
        Assert.Empty(options.Problems("Host=127.0.0.1;Database=jobs"));
    }
}
