using TextToImage.Diffusion.Networks;

namespace TextToImage.Diffusion.Tests.Networks;

/// <summary>UNetFlops against FLOPs written out by hand, layer by layer, for one-level networks.</summary>
public sealed class UNetFlopsTests
{
    const long B = 2, P = 8 * 8, C = 8, T = 32;   // batch, pixels, channels, time embedding width (4 * C)

    static long Conv(long cin, long cout, long k) => 2 * cin * cout * k * k * P * B;
    static long Linear(long fin, long fout, long rows) => 2 * fin * fout * rows;

    // conv1, conv2, the 1x1 shortcut where the width changes, and the time projection.
    static long Resnet(long cin, long cout) =>
        Conv(cin, cout, 3) + Conv(cout, cout, 3) + (cin != cout ? Conv(cin, cout, 1) : 0) + Linear(T, cout, B);

    static long Stem() =>
        Conv(3, C, 3)                                  // conv_in
        + Linear(C, T, B) + Linear(T, T, B)            // time_embedding
        + Conv(C, 3, 3);                               // conv_out

    static UNet2DConditionConfig OneLevel(string down, string up) => new()
    {
        InChannels = 3,
        OutChannels = 3,
        BlockOutChannels = [(int)C],
        LayersPerBlock = [1],
        NormNumGroups = 4,
        AttentionHeadDim = [4],
        CrossAttentionDim = 32,
        DownBlockTypes = [down],
        UpBlockTypes = [up],
        MidBlockType = null,
    };

    [Fact]
    public void Convolutions_and_linears_of_a_plain_network()
    {
        using var model = new UNet2DConditionModel(OneLevel("DownBlock2D", "UpBlock2D"));
        // One resnet down; two up, each reading 8 + 8 channels (hidden ++ skip).
        var expected = Stem() + Resnet(C, C) + 2 * Resnet(2 * C, C);
        Assert.Equal(expected, UNetFlops.CountForward(model, [B, 3, 8, 8], textLength: 5));
    }

    [Fact]
    public void Joint_attention_adds_its_projections_and_both_products()
    {
        using var model = new UNet2DConditionModel(OneLevel("SimpleCrossAttnDownBlock2D", "SimpleCrossAttnUpBlock2D"));
        const long L = 5, D = 32;
        var attention =
            4 * Linear(C, C, P * B)                    // to_q, to_k, to_v, to_out.0 over the pixels
            + 2 * Linear(D, C, L * B)                  // add_k_proj, add_v_proj over the tokens
            + 2 * (2 * B * P * (L + P) * C);           // QK^T and softmax(.)V: P queries, L + P keys
        var expected = Stem() + Resnet(C, C) + 2 * Resnet(2 * C, C) + 3 * attention;
        Assert.Equal(expected, UNetFlops.CountForward(model, [B, 3, 8, 8], textLength: (int)L));
    }

    [Fact]
    public void Counts_grow_with_the_batch_and_the_text_and_hooks_are_removed()
    {
        using var model = new UNet2DConditionModel(UNetPresets.Tiny(encoderHidDim: 64));
        var one = UNetFlops.CountForward(model, [1, 3, 8, 8], textLength: 4);
        Assert.Equal(2 * one, UNetFlops.CountForward(model, [2, 3, 8, 8], textLength: 4));
        Assert.True(UNetFlops.CountForward(model, [1, 3, 8, 8], textLength: 16) > one);
        Assert.Equal(one, UNetFlops.CountForward(model, [1, 3, 8, 8], textLength: 4));   // no hook left counting twice
    }
}
