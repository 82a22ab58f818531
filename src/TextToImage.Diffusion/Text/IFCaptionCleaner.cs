using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace TextToImage.Diffusion.Text;

/// <summary>
/// DeepFloyd IF's prompt cleaning (diffusers' <c>IFPipeline._text_preprocessing</c> with
/// <c>clean_caption=True</c>: <c>_clean_caption</c> applied twice), rewritten for .NET's regular
/// expressions: lower case; URLs, HTML tags, @nicknames, CJK ideographs, IP addresses, file names,
/// long numbers, shop phrases ("free shipping", "click for ...") and code-like words removed;
/// dashes and quotes made plain; runs of bad punctuation made spaces. Checked against diffusers'
/// own function (bs4 for the HTML) on the prompts of Text/Fixtures/make_if_caption_fixture.py.
/// Where it differs: bs4's HTML parser is a tag-stripping regex plus entity decoding here, and of
/// ftfy (which diffusers needs too, or it skips cleaning) only the final NFC normalisation is
/// applied: text mis-decoded as Latin-1 is not repaired.
/// </summary>
public static partial class IFCaptionCleaner
{
    public static string Clean(string prompt) => CleanOnce(CleanOnce(prompt));

    static string CleanOnce(string caption)
    {
        caption = WebUtility.UrlDecode(caption);
        caption = caption.Trim().ToLowerInvariant();
        caption = caption.Replace("<person>", "person", StringComparison.Ordinal);
        caption = Url().Replace(caption, "");
        caption = WwwUrl().Replace(caption, "");
        caption = HtmlText(caption);
        caption = Nickname().Replace(caption, "");
        caption = Cjk().Replace(caption, "");
        caption = Dashes().Replace(caption, "-");
        caption = DoubleQuotes().Replace(caption, "\"");
        caption = SingleQuotes().Replace(caption, "'");
        caption = QuotEntity().Replace(caption, "");
        caption = caption.Replace("&amp", "", StringComparison.Ordinal);
        caption = IpAddress().Replace(caption, " ");
        caption = ArticleId().Replace(caption, "");
        caption = caption.Replace("\\n", " ", StringComparison.Ordinal);
        caption = ShortHashNumber().Replace(caption, "");
        caption = LongHashNumber().Replace(caption, "");
        caption = LongNumber().Replace(caption, "");
        caption = FileName().Replace(caption, "");
        caption = RepeatedQuotes().Replace(caption, "\"");
        caption = RepeatedDots().Replace(caption, " ");
        caption = BadPunctuation().Replace(caption, " ");
        caption = SpacedDot().Replace(caption, " ");
        if (DashOrUnderscore().Count(caption) > 3) caption = DashOrUnderscore().Replace(caption, " ");
        caption = caption.Normalize(NormalizationForm.FormC);
        caption = WebUtility.HtmlDecode(WebUtility.HtmlDecode(caption));
        caption = LettersThenDigits().Replace(caption, "");
        caption = LettersDigitsLetters().Replace(caption, "");
        caption = DigitsLettersDigits().Replace(caption, "");
        caption = Shipping().Replace(caption, "");
        caption = Download().Replace(caption, "");
        caption = ClickFor().Replace(caption, "");
        caption = ImageFormatWords().Replace(caption, "");
        caption = PageNumber().Replace(caption, "");
        caption = MixedCode().Replace(caption, " ");
        caption = Dimensions().Replace(caption, "");
        caption = SpacedColon().Replace(caption, ": ");
        caption = PunctuationBeforeWord().Replace(caption, "$1 ");
        caption = Whitespace().Replace(caption, " ");
        caption = Quoted().Replace(caption, "$1");
        caption = LeadingPunctuation().Replace(caption, "");
        caption = TrailingPunctuation().Replace(caption, "");
        caption = DotWord().Replace(caption, "");
        return caption.Trim();
    }

    /// <summary>What bs4's <c>BeautifulSoup(caption, "html.parser").text</c> leaves: the text outside tags and comments, entities decoded.</summary>
    static string HtmlText(string caption) => WebUtility.HtmlDecode(HtmlTag().Replace(caption, ""));

    [GeneratedRegex(@"<!--.*?-->|</?[a-zA-Z][^>]*>", RegexOptions.Singleline)] private static partial Regex HtmlTag();
    [GeneratedRegex(@"\b((?:https?:(?:\/{1,3}|[a-zA-Z0-9%])|[a-zA-Z0-9.\-]+[.](?:com|co|ru|net|org|edu|gov|it)[\w/-]*\b\/?(?!@)))")] private static partial Regex Url();
    [GeneratedRegex(@"\b((?:www:(?:\/{1,3}|[a-zA-Z0-9%])|[a-zA-Z0-9.\-]+[.](?:com|co|ru|net|org|edu|gov|it)[\w/-]*\b\/?(?!@)))")] private static partial Regex WwwUrl();
    [GeneratedRegex(@"@[\w\d]+\b")] private static partial Regex Nickname();
    // CJK strokes, katakana phonetic extensions, enclosed CJK, CJK compatibility, ideographs (extension A and unified), Yijing hexagrams.
    [GeneratedRegex(@"[\u31c0-\u31ef\u31f0-\u31ff\u3200-\u32ff\u3300-\u33ff\u3400-\u4dbf\u4dc0-\u4dff\u4e00-\u9fff]+")] private static partial Regex Cjk();
    [GeneratedRegex(@"[\u002D\u058A\u05BE\u1400\u1806\u2010-\u2015\u2E17\u2E1A\u2E3A\u2E3B\u2E40\u301C\u3030\u30A0\uFE31\uFE32\uFE58\uFE63\uFF0D]+")] private static partial Regex Dashes();
    [GeneratedRegex("[`´«»“”¨]")] private static partial Regex DoubleQuotes();
    [GeneratedRegex("[‘’]")] private static partial Regex SingleQuotes();
    [GeneratedRegex("&quot;?")] private static partial Regex QuotEntity();
    [GeneratedRegex(@"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}")] private static partial Regex IpAddress();
    [GeneratedRegex(@"\d:\d\d\s+$")] private static partial Regex ArticleId();
    [GeneratedRegex(@"#\d{1,3}\b")] private static partial Regex ShortHashNumber();
    [GeneratedRegex(@"#\d{5,}\b")] private static partial Regex LongHashNumber();
    [GeneratedRegex(@"\b\d{6,}\b")] private static partial Regex LongNumber();
    [GeneratedRegex(@"[\S]+\.(?:png|jpg|jpeg|bmp|webp|eps|pdf|apk|mp4)")] private static partial Regex FileName();
    [GeneratedRegex(@"[\""\']{2,}")] private static partial Regex RepeatedQuotes();
    [GeneratedRegex(@"[\.]{2,}")] private static partial Regex RepeatedDots();
    [GeneratedRegex(@"[#®•©™&@·º½¾¿¡§~\)\(\]\[\}\{\|\\\/\*]{1,}")] private static partial Regex BadPunctuation();
    [GeneratedRegex(@"\s+\.\s+")] private static partial Regex SpacedDot();
    [GeneratedRegex(@"(?:\-|_)")] private static partial Regex DashOrUnderscore();
    [GeneratedRegex(@"\b[a-zA-Z]{1,3}\d{3,15}\b")] private static partial Regex LettersThenDigits();
    [GeneratedRegex(@"\b[a-zA-Z]+\d+[a-zA-Z]+\b")] private static partial Regex LettersDigitsLetters();
    [GeneratedRegex(@"\b\d+[a-zA-Z]+\d+\b")] private static partial Regex DigitsLettersDigits();
    [GeneratedRegex(@"(worldwide\s+)?(free\s+)?shipping")] private static partial Regex Shipping();
    [GeneratedRegex(@"(free\s)?download(\sfree)?")] private static partial Regex Download();
    [GeneratedRegex(@"\bclick\b\s(?:for|on)\s\w+")] private static partial Regex ClickFor();
    [GeneratedRegex(@"\b(?:png|jpg|jpeg|bmp|webp|eps|pdf|apk|mp4)(\simage[s]?)?")] private static partial Regex ImageFormatWords();
    [GeneratedRegex(@"\bpage\s+\d+\b")] private static partial Regex PageNumber();
    [GeneratedRegex(@"\b\d*[a-zA-Z]+\d+[a-zA-Z]+\d+[a-zA-Z\d]*\b")] private static partial Regex MixedCode();
    [GeneratedRegex(@"\b\d+\.?\d*[xх×]\d+\.?\d*\b")] private static partial Regex Dimensions();
    [GeneratedRegex(@"\b\s+\:\s+")] private static partial Regex SpacedColon();
    [GeneratedRegex(@"(\D[,\./])\b")] private static partial Regex PunctuationBeforeWord();
    [GeneratedRegex(@"\s+")] private static partial Regex Whitespace();
    [GeneratedRegex(@"^[\""\']([\w\W]+)[\""\']$")] private static partial Regex Quoted();
    [GeneratedRegex(@"^[\'_,\-\:;]")] private static partial Regex LeadingPunctuation();
    [GeneratedRegex(@"[\'_,\-\:\-\+]$")] private static partial Regex TrailingPunctuation();
    [GeneratedRegex(@"^\.\S+$")] private static partial Regex DotWord();
}
