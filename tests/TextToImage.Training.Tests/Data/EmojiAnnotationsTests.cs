using TextToImage.Training.Data;

namespace TextToImage.Training.Tests.Data;

public sealed class EmojiAnnotationsTests
{
    const string Data = """
        [
          {"label": "cat face", "hexcode": "1F431", "tags": ["animal", "cat", "face", "kitten", "pet"]},
          {"label": "enraged face", "hexcode": "1F621", "tags": ["angry", "face", "pouting", "rage"]},
          {"label": "keycap: #", "hexcode": "23-FE0F-20E3", "tags": ["keycap"]},
          {"label": "keycap: *", "hexcode": "2A-FE0F-20E3", "tags": ["keycap"]},
          {"label": "woman’s hat", "hexcode": "1F452", "tags": ["clothing", "hat"]},
          {"label": "flag: São Tomé & Príncipe", "hexcode": "1F1F8-1F1F9"},
          {"label": "regional indicator A", "hexcode": "1F1E6"}
        ]
        """;

    static EmojiAnnotations Load(TempFolder temp, string json = Data)
    {
        Directory.CreateDirectory(temp["en"]);
        File.WriteAllText(temp["en/data.json"], json);
        return EmojiAnnotations.Load(temp.Path);
    }

    [Theory]
    [InlineData("cat-face", "cat face")]
    [InlineData("pouting-face", "enraged face")]        // renamed by CLDR since the file was named
    [InlineData("keycap-hashtag", "keycap: #")]          // "keycap: #" and "keycap: *" are both "keycap" in kebab case
    [InlineData("keycap-asterisk", "keycap: *")]
    [InlineData("womans-hat", "woman’s hat")]            // non-ASCII punctuation vanishes
    [InlineData("flag-sao-tome-principe", "flag: São Tomé & Príncipe")]
    public void A_file_name_finds_its_emoji(string kebab, string name)
    {
        using var temp = new TempFolder();
        Assert.Equal(name, Load(temp).Find(kebab)?.Name);
    }

    [Fact]
    public void Keywords_are_the_tags_and_an_unknown_name_has_no_annotation()
    {
        using var temp = new TempFolder();
        var annotations = Load(temp);
        Assert.Equal(["animal", "cat", "face", "kitten", "pet"], annotations.Find("cat-face")!.Keywords);
        Assert.Empty(annotations.Find("flag-sao-tome-principe")!.Keywords);
        Assert.Null(annotations.Find("dog-face"));
        Assert.Equal(7, annotations.Count);
    }

    [Fact]
    public void A_folder_that_is_not_the_package_and_a_file_that_is_not_its_data_say_so()
    {
        using var temp = new TempFolder();
        var missing = Assert.Throws<FileNotFoundException>(() => EmojiAnnotations.Load(temp.Path));
        Assert.Contains("not the unpacked emojibase-data package", missing.Message);

        var notJson = Assert.Throws<InvalidDataException>(() => Load(temp, "[{"));
        Assert.Contains("not valid JSON", notJson.Message);
        var noLabel = Assert.Throws<InvalidDataException>(() => Load(temp, """[{"hexcode": "1F431"}]"""));
        Assert.Contains("without a \"label\"", noLabel.Message);
    }

    /// <summary>The published packages: every default-tone flat Fluent Emoji file finds its CLDR emoji, and each renamed one its new name.</summary>
    [Fact]
    public void Every_default_tone_fluent_emoji_has_an_annotation_in_emojibase_data()
    {
        var fluent = NpmPackages.Unpacked("fluentui-emoji", "1.3.0");
        var annotations = EmojiAnnotations.Load(NpmPackages.Unpacked("emojibase-data", "17.0.0"));
        var entries = FluentEmojiDataset.List(fluent, new FluentEmojiSelection { Styles = ["flat"], SkinTones = false, Annotations = annotations });

        Assert.Equal(1595, entries.Count);
        Assert.Empty(entries.Where(e => !e.Annotated).Select(e => e.Stem));
        foreach (var (file, label) in EmojiAnnotations.Renamed)
            Assert.Equal(label, annotations.Find(file)?.Name);
        var cat = entries.Single(e => e.Stem == "cat-face");
        Assert.Equal("cat face, flat style", cat.Caption);
        Assert.Contains("kitten", cat.Captions);
        Assert.Equal("enraged face", entries.Single(e => e.Stem == "pouting-face").ShortName);
    }
}
