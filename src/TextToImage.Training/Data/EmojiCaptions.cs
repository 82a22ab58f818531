namespace TextToImage.Training.Data;

/// <summary>
/// Captions from Fluent Emoji file names: "cat-face" in the flat style is "cat face, flat style";
/// a skin-tone variant "man-surfing-medium-dark" (one whose "-default" sibling exists) is
/// "man surfing, medium-dark skin tone, flat style", and the "-default" file itself is "man surfing".
/// With the emoji's CLDR annotation, <see cref="All"/> adds the words people type for it.
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

    /// <summary>A keyword shared by more emoji than this ("face", "animal") says too little to be a caption alone.</summary>
    public const int SpecificKeywordMaxUse = 6;

    /// <summary>
    /// Every caption of one image, the file-name caption (<see cref="Caption"/>) first: then the CLDR short name bare, with an
    /// article, in the plural and as "… emoji"; the name with its first keywords; and each keyword specific enough to
    /// stand alone (used by at most <see cref="SpecificKeywordMaxUse"/> emoji of the dataset, per <paramref name="keywordUse"/>).
    /// A skin-tone variant adds its name with the tone. Without an annotation the file name is the short name.
    /// </summary>
    public static IReadOnlyList<string> All(string name, string? skinTone, string style, EmojiAnnotation? annotation, Func<string, int> keywordUse)
    {
        var shortName = annotation?.Name ?? name;
        var captions = new List<string> { Caption(name, skinTone, style) };
        if (skinTone is not null)
        {
            captions.Add($"{shortName}, {skinTone} skin tone");
            captions.Add($"{WithArticle(shortName)} with {skinTone} skin");
            return captions.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        }
        captions.Add(shortName);
        captions.Add(name);   // the file's own words where CLDR renamed the emoji ("pouting face" is now "enraged face")
        captions.Add(WithArticle(shortName));
        if (Plural(shortName) is { } plural) captions.Add(plural);
        captions.Add($"{shortName} emoji");
        var nameWords = NameWords(shortName);
        var keywords = (annotation?.Keywords ?? []).Where(k => !nameWords.Contains(k)).ToList();
        if (keywords.Count > 0) captions.Add($"{shortName}, {string.Join(", ", keywords.Take(4))}");
        captions.AddRange(keywords.Where(k => k.Length >= 3 && keywordUse(k) <= SpecificKeywordMaxUse).Take(4));
        return captions.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>Frames any name takes ("a picture of a cat face").</summary>
    static readonly string[] PhraseFrames = ["a picture of {0}", "a drawing of {0}", "an icon of {0}", "a cartoon of {0}", "{0} on a white background", "{0} clip art"];

    /// <summary>Adjectives before a name that is a noun phrase ("a cute cat face"); none of them is a colour, which the colour caption says.</summary>
    static readonly string[] Adjectives = ["cute", "small", "big", "simple", "cartoon", "happy", "flat", "tiny"];

    /// <summary>
    /// <paramref name="count"/> captions that put the short name in words around it ("a drawing of a kangaroo", "a cute
    /// kangaroo"), the same ones for a name on every run (picked by a hash of the name). Why: prompts wrap what they ask
    /// for in words no caption has ("a hopping kangaroo"), and a network that saw the name only bare or with an article
    /// learns that any unknown word changes the picture; framed captions teach it to follow the name through them.
    /// </summary>
    public static IReadOnlyList<string> Framed(string shortName, int count)
    {
        var withArticle = WithArticle(shortName);
        var nounPhrase = withArticle != shortName && !shortName.StartsWith("a ", StringComparison.OrdinalIgnoreCase);
        var frames = PhraseFrames.Select(f => string.Format(f, withArticle))
            .Concat(nounPhrase ? Adjectives.Select(a => WithArticle($"{a} {shortName}")) : []).ToList();
        var random = new Random(StableHash(shortName));
        return frames.OrderBy(_ => random.Next()).Take(count).ToList();
    }

    /// <summary>
    /// <paramref name="count"/> captions that put the emoji's keywords into phrases with each other and with its short name
    /// ("a halloween pumpkin", "farm goat", "a lime, sour and citrus"), the same ones for a name on every run (picked by a hash of
    /// the name). Why: prompts name an emoji by what it is made of, looks like or is for ("a carved halloween pumpkin", "a red
    /// horseshoe magnet"); <see cref="All"/> gives the keywords only alone or as a list, and only the first four, so a
    /// network never sees them beside each other. Every keyword takes part, also those too common to stand alone ("hot",
    /// "animal"): beside another word they say what they describe.
    /// </summary>
    public static IReadOnlyList<string> KeywordPhrases(string shortName, IReadOnlyList<string> keywords, int count)
    {
        var nameWords = NameWords(shortName);
        // Tags under three letters are chat slang ("hi", "yo") or a letter ("u"): they describe nothing.
        var words = keywords.Where(k => k.Length >= 3 && !nameWords.Contains(k)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        // Three kinds, taken in turn so that none crowds out the others (pairs outnumber single words): a keyword before the
        // name ("farm goat"), two keywords as a noun phrase ("a halloween pumpkin"), the name with two keywords.
        var random = new Random(StableHash(shortName));
        var pairs = words.SelectMany(first => words.Where(second => second != first).Select(second => (first, second))).ToList();
        List<string>[] kinds =
        [
            [.. words.Select(k => $"{k} {shortName}")],
            [.. pairs.Select(p => WithArticle($"{p.first} {p.second}"))],
            [.. pairs.Select(p => $"{WithArticle(shortName)}, {p.first} and {p.second}")],
        ];
        var shuffled = kinds.Select(kind => kind.OrderBy(_ => random.Next()).ToList()).ToList();
        return Enumerable.Range(0, shuffled.Max(k => k.Count)).SelectMany(i => shuffled.Where(k => i < k.Count).Select(k => k[i]))
            .Distinct(StringComparer.OrdinalIgnoreCase).Take(count).ToList();
    }

    /// <summary>The words of a short name ("flag: Japan" is "flag", "Japan"): a keyword among them repeats the name.</summary>
    static HashSet<string> NameWords(string shortName) =>
        shortName.Split([' ', ':', ',', '(', ')'], StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>FNV-1a over the characters: string.GetHashCode differs between processes.</summary>
    static int StableHash(string text)
    {
        var hash = 2166136261u;
        foreach (var c in text) hash = (hash ^ c) * 16777619u;
        return (int)(hash & 0x7fffffff);
    }

    /// <summary>"a cat face", "an apple"; names that are not a noun phrase ("keycap: 1", "flag: Japan", "a button") stay as they are.</summary>
    public static string WithArticle(string name)
    {
        if (name.Contains(':') || char.IsDigit(name[0]) || name.StartsWith("a ", StringComparison.OrdinalIgnoreCase) ||
            name.StartsWith("an ", StringComparison.OrdinalIgnoreCase) || name.StartsWith("the ", StringComparison.OrdinalIgnoreCase))
            return name;
        var soundsLikeVowel = "aeiou".Contains(char.ToLowerInvariant(name[0])) &&
                              !name.StartsWith("uni", StringComparison.OrdinalIgnoreCase) && !name.StartsWith("one", StringComparison.OrdinalIgnoreCase) &&
                              !name.StartsWith("eu", StringComparison.OrdinalIgnoreCase) && !name.StartsWith("us", StringComparison.OrdinalIgnoreCase);
        return (soundsLikeVowel ? "an " : "a ") + name;
    }

    static readonly Dictionary<string, string> IrregularPlurals = new(StringComparer.OrdinalIgnoreCase)
    {
        ["man"] = "men", ["woman"] = "women", ["person"] = "people", ["child"] = "children", ["foot"] = "feet", ["tooth"] = "teeth",
        ["mouse"] = "mice", ["leaf"] = "leaves", ["knife"] = "knives", ["wolf"] = "wolves", ["sheep"] = "sheep", ["fish"] = "fish",
        ["deer"] = "deer", ["bison"] = "bison", ["moose"] = "moose", ["shrimp"] = "shrimp", ["squid"] = "squid",
    };

    /// <summary>"cat faces", "cherries", "women"; null where the name is no countable noun phrase ("keycap: 1", "glasses").</summary>
    public static string? Plural(string name)
    {
        if (name.Contains(':') || name.Contains(',') || name.Any(char.IsDigit) || name.EndsWith('s')) return null;
        var space = name.LastIndexOf(' ');
        var (head, last) = (name[..(space + 1)], name[(space + 1)..]);
        if (last.Length < 2 || !last.All(char.IsAsciiLetterLower)) return null;
        if (IrregularPlurals.TryGetValue(last, out var irregular)) return head + irregular;
        if (last.EndsWith('x') || last.EndsWith('z') || last.EndsWith("ch", StringComparison.Ordinal) || last.EndsWith("sh", StringComparison.Ordinal))
            return head + last + "es";
        if (last.EndsWith('y') && !"aeiou".Contains(last[^2])) return head + last[..^1] + "ies";
        return head + last + "s";
    }

    static string Words(string stem) => stem.Replace('-', ' ');
}
