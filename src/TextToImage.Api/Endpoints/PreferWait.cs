using System.Globalization;
using System.Text.RegularExpressions;

namespace TextToImage.Api.Endpoints;

/// <summary>The <c>wait</c> preference of RFC 7240's <c>Prefer</c> header, capped at 60 seconds.</summary>
static partial class PreferWait
{
    public const int MaxSeconds = 60;

    /// <returns>How long to wait; zero without a wait preference.</returns>
    public static TimeSpan Parse(string? prefer, out string? error)
    {
        error = null;
        if (prefer is null) return TimeSpan.Zero;
        var match = Wait().Match(prefer);
        if (!match.Success) return TimeSpan.Zero;
        if (!int.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > MaxSeconds)
        {
            error = $"Prefer: wait must be at most {MaxSeconds} seconds.";
            return TimeSpan.Zero;
        }
        return TimeSpan.FromSeconds(seconds);
    }

    [GeneratedRegex(@"(?:^|[,;\s])wait\s*=\s*(\d+)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Wait();
}
