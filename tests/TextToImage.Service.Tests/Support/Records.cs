using TextToImage.Service.Jobs;

namespace TextToImage.Service.Tests.Support;

/// <summary>Job records for tests.</summary>
static class Records
{
    public static GenerationParameters Parameters(int numImages = 1, long seed = 7, int resolution = 32) => new()
    {
        Prompt = "a red apple",
        NumImages = numImages,
        Seed = seed,
        GuidanceScale = 4,
        Steps = 5,
        Sampler = "ddim",
        Resolution = resolution,
        Model = "test",
    };

    /// <summary>Queued, created <paramref name="age"/> ago; ids increase with each call, as UUID v7 ids do.</summary>
    public static GenerationRecord Queued(TimeSpan? age = null, GenerationParameters? parameters = null) => new()
    {
        Id = JobIds.Next(),
        Status = GenerationStatus.Queued,
        CreatedAt = DateTimeOffset.UtcNow - (age ?? TimeSpan.Zero),
        Parameters = parameters ?? Parameters(),
    };

    public static JobLease Lease(TimeSpan? lasting = null, string? owner = null) =>
        new(owner ?? LeaseOwners.New(), DateTimeOffset.UtcNow + (lasting ?? TimeSpan.FromMinutes(1)));
}
