using System.Text;
using System.Text.Json;

namespace TextToImage.Training.Data;

/// <summary>An emoji's CLDR short name ("cat face") and keywords ("animal", "cat", "kitten", ...).</summary>
public sealed record EmojiAnnotation(string Name, IReadOnlyList<string> Keywords);

/// <summary>
/// The English CLDR annotations of every emoji, as npm <c>emojibase-data@17.0.0</c> (MIT) ships them
/// in <c>en/data.json</c>: short names ("label") and keywords ("tags"). Fluent Emoji file names are
/// those short names in kebab case ("cat-face"), so a file finds its emoji by the name alone; the few
/// files named before CLDR renamed their emoji ("pouting-face" is now "enraged face") or named
/// differently ("man-merpeople" is "merman") are listed in <see cref="Renamed"/>.
/// </summary>
public sealed class EmojiAnnotations
{
    public const string DataFile = "en/data.json";

    /// <summary>Fluent Emoji 1.3.0 file names (kebab case, default tone) whose CLDR short name is not the file name.</summary>
    public static readonly IReadOnlyDictionary<string, string> Renamed = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["blackbird"] = "black bird",
        ["hugging-face"] = "smiling face with open hands",
        ["keycap-asterisk"] = "keycap: *",
        ["keycap-hashtag"] = "keycap: #",
        ["knocked-out-face"] = "face with crossed-out eyes",
        ["man-blonde-hair"] = "man: blond hair",
        ["man-deaf"] = "deaf man",
        ["man-merpeople"] = "merman",
        ["man-with-bunny-ears"] = "men with bunny ears",
        ["man-wrestling"] = "men wrestling",
        ["person-blonde-hair"] = "person: blond hair",
        ["person-deaf"] = "deaf person",
        ["person-elf"] = "elf",
        ["person-fairy"] = "fairy",
        ["person-genie"] = "genie",
        ["person-mage"] = "mage",
        ["person-merpeople"] = "merperson",
        ["person-superhero"] = "superhero",
        ["person-supervillain"] = "supervillain",
        ["person-vampire"] = "vampire",
        ["person-with-bunny-ears"] = "people with bunny ears",
        ["person-wrestling"] = "people wrestling",
        ["person-zombie"] = "zombie",
        ["phoenix-bird"] = "phoenix",
        ["pouting-face"] = "enraged face",
        ["red-triangle"] = "red triangle pointed up",
        ["stuffedbread-flat"] = "stuffed flatbread",
        ["woman-blonde-hair"] = "woman: blond hair",
        ["woman-deaf"] = "deaf woman",
        ["woman-merpeople"] = "mermaid",
        ["woman-with-bunny-ears"] = "women with bunny ears",
        ["woman-wrestling"] = "women wrestling",
    };

    readonly Dictionary<string, EmojiAnnotation> _byLabel;
    readonly Dictionary<string, EmojiAnnotation> _byKebab;

    EmojiAnnotations(IEnumerable<EmojiAnnotation> annotations)
    {
        _byLabel = new Dictionary<string, EmojiAnnotation>(StringComparer.OrdinalIgnoreCase);
        _byKebab = new Dictionary<string, EmojiAnnotation>(StringComparer.Ordinal);
        foreach (var annotation in annotations)
        {
            _byLabel.TryAdd(annotation.Name, annotation);
            // "keycap: *" and "keycap: #" are both "keycap" in kebab case: the first keeps it, Renamed names each.
            _byKebab.TryAdd(Kebab(annotation.Name), annotation);
        }
    }

    public int Count => _byLabel.Count;

    /// <summary>Reads <c>en/data.json</c> of the unpacked emojibase-data package (the folder holding <c>en/</c>), or that file itself.</summary>
    /// <exception cref="FileNotFoundException">Neither.</exception>
    /// <exception cref="InvalidDataException">Not emojibase's layout: a list of objects with a "label".</exception>
    public static EmojiAnnotations Load(string packageFolderOrFile)
    {
        var path = File.Exists(packageFolderOrFile) ? packageFolderOrFile : Path.Combine(packageFolderOrFile, DataFile);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{packageFolderOrFile} is not the unpacked emojibase-data package (no {DataFile}); see the README's dataset section.", path);
        var annotations = new List<EmojiAnnotation>();
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            if (document.RootElement.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"{path} is not a JSON array of emoji.");
            foreach (var emoji in document.RootElement.EnumerateArray())
            {
                if (emoji.ValueKind != JsonValueKind.Object || !emoji.TryGetProperty("label", out var label) || label.ValueKind != JsonValueKind.String)
                    throw new InvalidDataException($"{path}: an entry without a \"label\" string; this is not emojibase-data's {DataFile}.");
                var keywords = emoji.TryGetProperty("tags", out var tags) && tags.ValueKind == JsonValueKind.Array
                    ? tags.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!).ToList()
                    : [];
                annotations.Add(new EmojiAnnotation(label.GetString()!, keywords));
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not valid JSON ({e.Message}).", e);
        }
        return new EmojiAnnotations(annotations);
    }

    /// <summary>The annotation of a Fluent Emoji name in kebab case without style or tone ("cat-face"), or null if CLDR has no such emoji.</summary>
    public EmojiAnnotation? Find(string kebabName) =>
        Renamed.TryGetValue(kebabName, out var label) ? _byLabel.GetValueOrDefault(label) : _byKebab.GetValueOrDefault(kebabName);

    /// <summary>"Flag: São Tomé &amp; Príncipe" as a file name would spell it: "flag-sao-tome-principe".</summary>
    internal static string Kebab(string label)
    {
        var ascii = new StringBuilder();
        foreach (var c in label.Normalize(NormalizationForm.FormD))
        {
            // Accents and other non-ASCII marks vanish ("woman’s hat" is "womans-hat"); ASCII punctuation separates words.
            if (c > '\x7f') continue;
            ascii.Append(char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-');
        }
        return string.Join('-', ascii.ToString().Split('-', StringSplitOptions.RemoveEmptyEntries));
    }
}
