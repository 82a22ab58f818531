using System.Globalization;
using System.Text;

namespace TextToImage.Diffusion.Text;

/// <summary>
/// Hugging Face's uncased <c>BasicTokenizer</c>, the step before WordPiece: drop control
/// characters, isolate CJK ideographs, lower-case, strip accents (NFD, then no non-spacing marks),
/// split off punctuation; the words come back separated by single spaces. Done here rather than
/// by Microsoft.ML.Tokenizers 2.0.1's basic tokenization, which departs from Hugging Face: it
/// drops symbols outright ("©", "°", "☃", so "25°c" loses its "°" and "a☃cat" becomes "a", "cat"
/// instead of [UNK]) and judges UTF-16 units, not code points, so it deletes every emoji. Walking
/// runes keeps characters beyond the BMP whole, as Python does.
/// </summary>
public static class BertBasicTokenizer
{
    public static string Split(string text)
    {
        var words = new StringBuilder(text.Length + 8);
        foreach (var rune in text.Normalize(NormalizationForm.FormC).EnumerateRunes())
        {
            if (rune.Value is 0 or 0xFFFD || IsControl(rune)) continue;
            if (IsWhitespace(rune)) words.Append(' ');
            else if (IsCjkIdeograph(rune.Value)) words.Append(' ').Append(rune.ToString()).Append(' ');
            else words.Append(rune.ToString());
        }

        var result = new StringBuilder(words.Length + 8);
        foreach (var word in words.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var rune in word.ToLowerInvariant().Normalize(NormalizationForm.FormD).EnumerateRunes())
            {
                if (Rune.GetUnicodeCategory(rune) == UnicodeCategory.NonSpacingMark) continue;
                if (IsPunctuation(rune)) result.Append(' ').Append(rune.ToString()).Append(' ');
                else result.Append(rune.ToString());
            }
            result.Append(' ');
        }
        return string.Join(' ', result.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    static bool IsWhitespace(Rune rune) =>
        rune.Value is ' ' or '\t' or '\n' or '\r' || Rune.GetUnicodeCategory(rune) == UnicodeCategory.SpaceSeparator;

    /// <summary>Every "C*" category (control, format, surrogate, private use, unassigned) except tab and newlines.</summary>
    static bool IsControl(Rune rune) => rune.Value is not ('\t' or '\n' or '\r') && Rune.GetUnicodeCategory(rune) is
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;

    /// <summary>All non-alphanumeric ASCII ("$", "^", "`" included, as BERT did) and every "P*" category.</summary>
    static bool IsPunctuation(Rune rune) => rune.Value is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126
        || Rune.GetUnicodeCategory(rune) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;

    /// <summary>The CJK Unified Ideograph blocks of Hugging Face's <c>_is_chinese_char</c> (not kana or hangul).</summary>
    static bool IsCjkIdeograph(int codePoint) => codePoint is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF
        or >= 0x20000 and <= 0x2A6DF or >= 0x2A700 and <= 0x2B73F or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF
        or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;
}
