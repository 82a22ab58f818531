using System.Security.Cryptography;

namespace TextToImage.Service.Jobs;

/// <summary>
/// Job ids that sort by creation: 32 hex digits, the Unix time in milliseconds (12), a sequence
/// within that millisecond (4), then random (16). Listing is newest first by id, so two jobs made in
/// the same millisecond must not sort at random, as UUIDv7's random bits would make them: within one
/// process every id is greater than the one before. Processes on several machines are ordered to
/// their clocks' millisecond.
/// </summary>
public static class JobIds
{
    static readonly Lock Gate = new();
    static long lastMillisecond;
    static int sequence;

    public static string Next(TimeProvider? clock = null)
    {
        var now = (clock ?? TimeProvider.System).GetUtcNow().ToUnixTimeMilliseconds();
        long millisecond;
        int number;
        lock (Gate)
        {
            if (now > lastMillisecond) (lastMillisecond, sequence) = (now, 0);
            else if (++sequence > 0xFFFF) (lastMillisecond, sequence) = (lastMillisecond + 1, 0);   // 65,536 ids in one millisecond: borrow the next
            (millisecond, number) = (lastMillisecond, sequence);
        }
        Span<byte> random = stackalloc byte[8];
        RandomNumberGenerator.Fill(random);
        return $"{millisecond:x12}{number:x4}{Convert.ToHexStringLower(random)}";
    }
}
