using System.Text.RegularExpressions;

namespace TextToImage.Diffusion.Text;

/// <summary>
/// The words of a caption or prompt that name what it shows: lower-cased, a plural folded to its singular ("cherries"
/// -> "cherry", "dogs" -> "dog"), without English function words and without the framing words of the captions
/// <c>t2i dataset</c> writes around a subject ("X, flat style", "an icon of X", "X on a white background"), which
/// every subject shares and so name none. <see cref="PromptVocabulary"/> matches a prompt's words to each subject's.
/// </summary>
public static partial class SubjectWords
{
    static readonly HashSet<string> Ignored = [.. (
        "a an the of with and on in to for at by its is are from that this one two " +
        "flat style emoji icon drawing picture cartoon white background").Split(' ')];

    /// <summary>The distinct subject words of <paramref name="text"/>, in order.</summary>
    public static IReadOnlyList<string> Of(string text) =>
        [.. Word().Matches(text.ToLowerInvariant()).Select(m => Singular(m.Value)).Where(w => !Ignored.Contains(w)).Distinct()];

    static string Singular(string word) =>
        word.Length > 4 && word.EndsWith("ies", StringComparison.Ordinal) ? word[..^3] + "y"
        : word.Length > 3 && word.EndsWith("es", StringComparison.Ordinal) && !word.EndsWith("ses", StringComparison.Ordinal) ? word[..^1]
        : word.Length > 3 && word.EndsWith('s') && !word.EndsWith("ss", StringComparison.Ordinal) ? word[..^1]
        : word;

    [GeneratedRegex("[a-z0-9]+")]
    private static partial Regex Word();
}
