namespace TextToImage.Training.Data;

/// <summary>
/// Captions from Fluent Emoji file names: "cat-face" in the flat style is "cat face, flat style";
/// a skin-tone variant "man-surfing-medium-dark" (one whose "-default" sibling exists) is
/// "man surfing, medium-dark skin tone, flat style", and the "-default" file itself is "man surfing".
/// </summary>
public static class EmojiCaptions
{
    /// <summary>The five skin-tone suffixes, longest first so "medium-dark" is not read as "dark".</summary>
    static readonly string[] SkinTones = ["medium-light", "medium-dark", "medium", "light", "dark"];

    /// <summary>The emoji a file name shows, without style: (name words, skin tone or null, is the default-tone file).</summary>
    public static (string Name, string? SkinTone, bool IsDefault) Parse(string fileStem, ISet<string> stems)
    {
        if (fileStem.EndsWith("-default", StringComparison.Ordinal))
            return (Words(fileStem[..^"-default".Length]), null, true);
        foreach (var tone in SkinTones)
        {
            var suffix = "-" + tone;
            // "vertical-traffic-light" is no skin tone: only names whose "-default" file exists have variants.
            if (fileStem.EndsWith(suffix, StringComparison.Ordinal) && stems.Contains(fileStem[..^suffix.Length] + "-default"))
                return (Words(fileStem[..^suffix.Length]), tone, false);
        }
        return (Words(fileStem), null, false);
    }

    public static string Caption(string name, string? skinTone, string style) =>
        skinTone is null ? $"{name}, {style} style" : $"{name}, {skinTone} skin tone, {style} style";

    static string Words(string stem) => stem.Replace('-', ' ');
}
