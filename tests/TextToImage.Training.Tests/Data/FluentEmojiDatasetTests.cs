using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TextToImage.Training.Data;
using TextToImage.Training.Evaluation;

namespace TextToImage.Training.Tests.Data;

public sealed class FluentEmojiDatasetTests
{
    const string RedCircle = """<svg xmlns="http://www.w3.org/2000/svg" fill="none" viewBox="0 0 32 32"><circle cx="16" cy="16" r="10" fill="#ff0000"/></svg>""";
    const string BlueSquare = """<svg xmlns="http://www.w3.org/2000/svg" fill="none" viewBox="0 0 32 32"><rect x="8" y="8" width="16" height="16" fill="#0000ff"/></svg>""";

    [Theory]
    [InlineData("cat-face", "cat face", null)]
    [InlineData("man-surfing-medium-dark", "man surfing", "medium-dark")]
    [InlineData("man-surfing-dark", "man surfing", "dark")]
    [InlineData("man-surfing-default", "man surfing", null)]
    [InlineData("vertical-traffic-light", "vertical traffic light", null)]   // no "-default" sibling: not a skin tone
    public void Captions_come_from_names_and_skin_tones_only_where_a_default_exists(string stem, string name, string? tone)
    {
        var stems = new HashSet<string> { "man-surfing-default", "man-surfing-dark", "man-surfing-medium-dark", "vertical-traffic-light", "cat-face" };
        var parsed = EmojiCaptions.Parse(stem, stems);
        Assert.Equal((name, tone), (parsed.Name, parsed.SkinTone));
        Assert.Equal(tone is null ? $"{name}, flat style" : $"{name}, {tone} skin tone, flat style", EmojiCaptions.Caption(parsed.Name, parsed.SkinTone, "flat"));
    }

    [Fact]
    public void Writes_one_image_folder_per_size_with_the_same_rows_on_white()
    {
        using var temp = new TempFolder();
        var package = temp["package"];
        foreach (var style in new[] { "flat", "modern" })
        {
            Directory.CreateDirectory(Path.Combine(package, "icons", style));
            File.WriteAllText(Path.Combine(package, "icons", style, "red-circle.svg"), RedCircle);
            File.WriteAllText(Path.Combine(package, "icons", style, "hand-default.svg"), BlueSquare);
            File.WriteAllText(Path.Combine(package, "icons", style, "hand-dark.svg"), BlueSquare);
        }

        var count = FluentEmojiDataset.Write(package, temp["out"], [16, 64], new FluentEmojiSelection { SkinTones = false });

        Assert.Equal(4, count.Images);                            // 2 styles x (red circle, default hand); the dark hand is left out
        var small = ImageFolder.Open(temp["out/16"]);
        var large = ImageFolder.Open(temp["out/64"]);
        Assert.Equal(small.Rows.Select(r => (r.FileName, r.Text)), large.Rows.Select(r => (r.FileName, r.Text)));
        Assert.Equal(["hand, flat style", "red circle, flat style", "hand, modern style", "red circle, modern style"], small.Rows.Select(r => r.Text));

        var names = File.ReadAllLines(Path.Combine(temp["out/16"], FluentEmojiDataset.NamesFile));
        Assert.Equal(4, names.Length);                            // every row's bare name, as t2i eval --prompts reads them
        Assert.Equal(["hand", "hand", "red circle", "red circle"], HeldOutPrompts.Load(Path.Combine(temp["out/16"], FluentEmojiDataset.NamesFile), small)
            .Select(p => p.Text).Order());

        using var circle = Image.Load<Rgb24>(large.Rows[1].Path);
        Assert.Equal((64, 64), (circle.Width, circle.Height));
        Assert.Equal(new Rgb24(255, 255, 255), circle[1, 1]);    // background
        Assert.Equal(new Rgb24(255, 0, 0), circle[32, 32]);      // the circle, scaled from the 32 px view box
    }

    [Fact]
    public void With_annotations_the_colour_people_see_joins_the_captions()
    {
        using var temp = new TempFolder();
        var (package, annotations) = AnnotatedPackage(temp);

        FluentEmojiDataset.Write(package, temp["out"], [16], new FluentEmojiSelection { Styles = ["flat"], Annotations = annotations });

        var rows = ImageFolder.Open(temp["out/16"]).Rows;
        Assert.Equal("wrapped gift, flat style", rows[1].Text);           // the file-name caption stays first
        Assert.Equal("a blue wrapped gift", rows[1].Captions[^1]);        // read from the pixels: the square drawn blue
        Assert.DoesNotContain(rows[0].Captions, c => c.Contains("red red", StringComparison.Ordinal));
    }

    [Fact]
    public void Framed_captions_wrap_the_name_in_words_and_are_the_same_on_every_run()
    {
        var kangaroo = EmojiCaptions.Framed("kangaroo", 3);
        Assert.Equal(3, kangaroo.Distinct().Count());
        Assert.All(kangaroo, c => Assert.Contains("kangaroo", c));
        Assert.All(kangaroo, c => Assert.NotEqual("a kangaroo", c));            // more words than the name with its article
        Assert.Equal(kangaroo, EmojiCaptions.Framed("kangaroo", 3));           // a hash of the name picks them, not the process
        Assert.Equal(kangaroo.Take(2), EmojiCaptions.Framed("kangaroo", 2));
        Assert.NotEqual(kangaroo, EmojiCaptions.Framed("cat face", 3).Select(c => c.Replace("cat face", "kangaroo")));
        // A name that is no noun phrase gets no adjective ("a cute flag: Japan"), only frames around it.
        var flag = EmojiCaptions.Framed("flag: Japan", 14);
        Assert.Equal(6, flag.Count);
        Assert.All(flag, c => Assert.Contains("flag: Japan", c));
        Assert.DoesNotContain(flag, c => c.StartsWith("a cute", StringComparison.Ordinal));
    }

    [Fact]
    public void Keyword_phrases_put_the_keywords_beside_each_other_and_the_name_in_turn_and_are_the_same_on_every_run()
    {
        string[] keywords = ["animal", "capricorn", "farm", "goat", "milk", "zodiac", "u", "yo"];
        var goat = EmojiCaptions.KeywordPhrases("goat", keywords, 6);

        Assert.Equal(6, goat.Distinct().Count());
        Assert.Equal(goat, EmojiCaptions.KeywordPhrases("goat", keywords, 6));     // a hash of the name picks them, not the process
        Assert.Equal(goat.Take(3), EmojiCaptions.KeywordPhrases("goat", keywords, 3));
        // In turn: a keyword before the name, two keywords, the name with two keywords.
        Assert.Matches("^[a-z]+ goat$", goat[0]);
        Assert.Matches("^an? [a-z]+ [a-z]+$", goat[1]);
        Assert.DoesNotContain("goat", goat[1]);
        Assert.Matches("^a goat, [a-z]+ and [a-z]+$", goat[2]);
        var words = goat.SelectMany(p => p.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.DoesNotContain("u", words);                                         // tags under three letters are slang or letters
        Assert.DoesNotContain("yo", words);
        Assert.DoesNotContain(goat, p => p.Contains("goat goat", StringComparison.Ordinal));  // a keyword that is the name adds nothing
        Assert.Empty(EmojiCaptions.KeywordPhrases("spider web", ["spider", "web"], 4)); // keywords that only repeat the name: none
    }

    [Fact]
    public void Framed_captions_join_default_tone_rows_and_held_out_prompts_leave_every_row()
    {
        using var temp = new TempFolder();
        var (package, annotations) = AnnotatedPackage(temp);
        File.WriteAllText(temp["held-out.jsonl"], """
            {"file_name": "images/flat-wrapped-gift.png", "text": "a blue wrapped gift"}
            {"file_name": "images/flat-wrapped-gift.png", "text": "Present"}
            {"file_name": "images/flat-red-circle.png", "text": "red circle, flat style"}
            """);

        var written = FluentEmojiDataset.Write(package, temp["out"], [16], new FluentEmojiSelection
        {
            Styles = ["flat"], Annotations = annotations, FramedCaptions = 2, KeywordCaptions = 3,
            HeldOut = HeldOutPrompts.Texts(temp["held-out.jsonl"]).ToHashSet(StringComparer.OrdinalIgnoreCase),
        });

        var gift = ImageFolder.Open(temp["out/16"]).Rows.Single(r => r.FileName == "images/flat-wrapped-gift.png");
        Assert.Subset(gift.Captions.ToHashSet(), EmojiCaptions.Framed("wrapped gift", 2).ToHashSet());
        var phrases = EmojiCaptions.KeywordPhrases("wrapped gift", annotations.Find("wrapped-gift")!.Keywords, 3);
        Assert.Equal(3, phrases.Count);
        Assert.Subset(gift.Captions.ToHashSet(), phrases.ToHashSet());
        Assert.DoesNotContain("a blue wrapped gift", gift.Captions);            // the colour caption was held out
        Assert.DoesNotContain("present", gift.Captions);                        // so was the keyword, case aside
        Assert.Equal(2, written.HeldOutLeftOut);
        var circle = ImageFolder.Open(temp["out/16"]).Rows.Single(r => r.FileName == "images/flat-red-circle.png");
        Assert.Equal("red circle, flat style", circle.Text);                    // the file-name caption always stays
        Assert.Equal(written.Captions, ImageFolder.Open(temp["out/16"]).Rows.Sum(r => r.Captions.Count));
    }

    /// <summary>A flat-style package of a red circle and a (blue) wrapped gift, with their emojibase annotations.</summary>
    static (string Package, EmojiAnnotations Annotations) AnnotatedPackage(TempFolder temp)
    {
        var package = temp["package"];
        Directory.CreateDirectory(Path.Combine(package, "icons", "flat"));
        File.WriteAllText(Path.Combine(package, "icons", "flat", "red-circle.svg"), RedCircle);
        File.WriteAllText(Path.Combine(package, "icons", "flat", "wrapped-gift.svg"), BlueSquare);
        Directory.CreateDirectory(temp["annotations/en"]);
        File.WriteAllText(temp["annotations/en/data.json"], """
            [{"label": "red circle", "hexcode": "1F534", "tags": ["circle", "red"]}, {"label": "wrapped gift", "hexcode": "1F381", "tags": ["present", "box"]}]
            """);
        return (package, EmojiAnnotations.Load(temp["annotations"]));
    }

    [Fact]
    public void A_folder_that_is_not_the_package_says_so()
    {
        using var temp = new TempFolder();
        var error = Assert.Throws<DirectoryNotFoundException>(() => FluentEmojiDataset.List(temp.Path, new FluentEmojiSelection()));
        Assert.Contains("not the unpacked fluentui-emoji package", error.Message);
    }
}

public sealed class EmojiCaptionsTests
{
    static readonly EmojiAnnotation CatFace = new("cat face", ["animal", "cat", "face", "kitten", "pet"]);

    [Fact]
    public void The_file_name_caption_comes_first_then_the_words_people_type()
    {
        var use = new Dictionary<string, int> { ["animal"] = 120, ["cat"] = 5, ["face"] = 160, ["kitten"] = 2, ["pet"] = 9 };
        var captions = EmojiCaptions.All("cat face", null, "flat", CatFace, k => use.GetValueOrDefault(k));
        Assert.Equal(
            ["cat face, flat style", "cat face", "a cat face", "cat faces", "cat face emoji", "cat face, animal, kitten, pet", "kitten"],
            captions);
    }

    [Fact]
    public void A_renamed_emoji_keeps_its_file_words_and_a_skin_tone_names_its_tone()
    {
        var enraged = new EmojiAnnotation("enraged face", ["angry"]);
        var renamed = EmojiCaptions.All("pouting face", null, "flat", enraged, _ => 1);
        Assert.Equal(["pouting face, flat style", "enraged face", "pouting face", "an enraged face", "enraged faces", "enraged face emoji", "enraged face, angry", "angry"], renamed);

        var toned = EmojiCaptions.All("man surfing", "dark", "flat", new EmojiAnnotation("man surfing", ["surfer"]), _ => 1);
        Assert.Equal(["man surfing, dark skin tone, flat style", "man surfing, dark skin tone", "a man surfing with dark skin"], toned);
    }

    [Fact]
    public void Without_an_annotation_the_file_name_is_the_short_name()
    {
        Assert.Equal(["red circle, flat style", "red circle", "a red circle", "red circles", "red circle emoji"],
            EmojiCaptions.All("red circle", null, "flat", null, _ => 0));
    }

    [Theory]
    [InlineData("apple", "an apple")]
    [InlineData("unicorn", "a unicorn")]
    [InlineData("keycap: 1", "keycap: 1")]
    [InlineData("A button (blood type)", "A button (blood type)")]
    [InlineData("1st place medal", "1st place medal")]
    public void Articles(string name, string expected) => Assert.Equal(expected, EmojiCaptions.WithArticle(name));

    [Theory]
    [InlineData("red apple", "red apples")]
    [InlineData("cherry", "cherries")]
    [InlineData("fox", "foxes")]
    [InlineData("woman", "women")]
    [InlineData("key", "keys")]
    [InlineData("glasses", null)]
    [InlineData("keycap: 1", null)]
    [InlineData("Tokyo tower", "Tokyo towers")]
    public void Plurals(string name, string? expected) => Assert.Equal(expected, EmojiCaptions.Plural(name));
}
