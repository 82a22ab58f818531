using TextToImage.Training.Evaluation;
using static TorchSharp.torch;

namespace TextToImage.Training.Tests.Evaluation;

public sealed class NearestImageRetrievalTests
{
    static Tensor ToyDataset(int rows, long seed = 1)
    {
        using var generator = new TorchSharp.torch.Generator((ulong)seed);
        return randint(0, 256, [rows, 3, 8, 8], generator: generator).to_type(ScalarType.Byte);
    }

    [Fact]
    public void The_dataset_images_themselves_retrieve_their_own_rows_top_1()
    {
        using var dataset = ToyDataset(30);
        int[] rows = [3, 0, 29, 17, 8];
        using var generated = dataset.index_select(0, tensor(rows.Select(r => (long)r).ToArray()));
        var matches = NearestImageRetrieval.Match(generated, dataset, rows);
        Assert.All(matches, m => Assert.Equal(0, m.Rank));
        Assert.Equal(rows, matches.Select(m => m.Nearest[0]));
        Assert.All(matches, m => Assert.Equal(5, m.Nearest.Count));
    }

    [Fact]
    public void Rank_counts_the_rows_strictly_nearer_than_the_own_row()
    {
        using var dataset = zeros([4, 3, 8, 8], ScalarType.Float32);
        dataset[1].fill_(10);
        dataset[2].fill_(20);
        dataset[3].fill_(10);                         // a duplicate of row 1
        using var query = full([1, 3, 8, 8], 12.0f);  // nearest: rows 1 and 3 (tied), then 2, then 0
        Assert.Equal(2, NearestImageRetrieval.Match(query, dataset, [2]).Single().Rank);
        Assert.Equal(3, NearestImageRetrieval.Match(query, dataset, [0]).Single().Rank);
        var tied = NearestImageRetrieval.Match(query, dataset, [3]).Single();
        Assert.Equal(0, tied.Rank);                   // a tie does not push the caption's own row down
        Assert.Equal([1, 3, 2, 0], tied.Nearest);     // ties listed in row order
    }

    [Theory]
    [InlineData("cat face, flat style", "cat face")]
    [InlineData("man surfing, medium-dark skin tone, modern style", "man surfing, medium-dark skin tone")]
    [InlineData("a red apple", "a red apple")]
    public void The_emoji_of_a_caption_drops_its_style(string caption, string emoji) =>
        Assert.Equal(emoji, NearestImageRetrieval.EmojiOf(caption));

    [Fact]
    public void Same_emoji_chance_is_the_chance_that_five_random_rows_include_one()
    {
        Assert.Equal(5.0 / 100, NearestImageRetrieval.SameEmojiChance(1, 100), 12);
        Assert.Equal(1 - 56.0 / 252, NearestImageRetrieval.SameEmojiChance(2, 10), 12);   // 1 - C(8,5)/C(10,5)
        Assert.Equal(1.0, NearestImageRetrieval.SameEmojiChance(6, 10), 12);
    }

    [Fact]
    public void Rows_are_a_seeded_shuffle()
    {
        var rows = ModelEvaluator.PickRows(100, 20, 0);
        Assert.Equal(rows, ModelEvaluator.PickRows(100, 20, 0));
        Assert.Equal(rows, ModelEvaluator.PickRows(100, 30, 0).Take(20));
        Assert.NotEqual(rows, ModelEvaluator.PickRows(100, 20, 1));
        Assert.Equal(20, rows.Distinct().Count());
        Assert.Equal(Enumerable.Range(0, 7), ModelEvaluator.PickRows(7, 200, 3).Order());
    }

    [Fact]
    public void Sampler_lists_parse_with_an_optional_caption_count()
    {
        Assert.Equal([new SamplerRun("ddpm", 1000, 50), new SamplerRun("ddim", 50), new SamplerRun("dpmpp-2m", 20)],
            SamplerRun.Parse("ddpm:1000@50, DDIM:50,dpmpp-2m:20"));
        foreach (var bad in new[] { "ddim", "ddim:0", "ddim:5@0", "ddim:x", "euler:5", "" })
            Assert.Throws<ArgumentException>(() => SamplerRun.Parse(bad));
    }
}
