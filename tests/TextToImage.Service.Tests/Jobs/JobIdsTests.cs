using System.Text.RegularExpressions;
using TextToImage.Service.Jobs;

namespace TextToImage.Service.Tests.Jobs;

public sealed class JobIdsTests
{
    [Fact]
    public void Ids_made_in_a_burst_are_unique_and_sort_in_the_order_they_were_made()
    {
        // Thousands per millisecond: far more than one millisecond's worth share a timestamp.
        var ids = Enumerable.Range(0, 20_000).Select(_ => JobIds.Next()).ToList();
        Assert.Equal(ids, ids.Order(StringComparer.Ordinal));
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Matches(new Regex("^[0-9a-f]{32}$"), id));
    }

    [Fact]
    public void An_id_starts_with_its_millisecond()
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var id = JobIds.Next();
        Assert.InRange(Convert.ToInt64(id[..12], 16), before, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 1);
    }
}
