using System.Text.Json;
using Microsoft.ML.Tokenizers;
using TextToImage.Diffusion.Text;

namespace TextToImage.Diffusion.Tests.Text;

/// <summary>
/// T5's tokenizer against the reference <c>sentencepiece</c> package, on a Unigram model trained for
/// the test with T5's special-token layout, bos_id = -1 included (Fixtures/make_t5_tokenizer_fixture.py).
/// </summary>
public sealed class T5TokenizerTests
{
    static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Text", "Fixtures");
    static byte[] Model => File.ReadAllBytes(Path.Combine(Fixtures, "t5-test-spiece.model"));

    [Fact]
    public void The_package_alone_fails_on_a_model_without_a_beginning_of_sentence_id()
    {
        // The bug the workaround exists for: if this starts passing, a newer package fixed it.
        using var model = new MemoryStream(Model);
        Assert.Throws<IndexOutOfRangeException>(() => SentencePieceTokenizer.Create(model, addBeginningOfSentence: false, addEndOfSentence: true));
    }

    [Fact]
    public void Ids_and_masks_are_the_reference_ones_for_every_fixture_prompt()
    {
        var tokenizer = new T5Tokenizer(Model);
        using var fixture = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "t5-tokenizer-parity.json")));
        var rows = fixture.RootElement.GetProperty("rows").EnumerateArray().ToList();
        Assert.True(rows.Count >= 10);
        foreach (var row in rows)
        {
            var prompt = row.GetProperty("prompt").GetString()!;
            var (ids, mask) = tokenizer.Encode(prompt);
            Assert.True(row.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).SequenceEqual(ids),
                $"ids of {JsonSerializer.Serialize(prompt)}: [{string.Join(", ", ids)}]");
            Assert.Equal(row.GetProperty("mask").EnumerateArray().Select(e => e.GetInt32()), mask);
        }
    }

    [Fact]
    public void A_long_prompt_is_truncated_to_76_pieces_and_the_end_of_sentence()
    {
        var (ids, mask) = new T5Tokenizer(Model).Encode(string.Join(' ', Enumerable.Repeat("the quick brown fox", 40)));
        Assert.Equal(77, ids.Length);
        Assert.All(mask, m => Assert.Equal(1, m));
        Assert.Equal(1, ids[^1]);          // </s>
        Assert.DoesNotContain(0, ids);     // no padding
    }
}
