using TextToImage.Diffusion.Networks;
using TorchSharp;

namespace TextToImage.Diffusion.Tests.Networks;

/// <summary>
/// Our networks built from IF's published configs have exactly the parameter names and shapes
/// of diffusers' (the reference lists), so IF checkpoints load without a mapping table.
/// Built at full size on the meta device: shapes without memory.
/// </summary>
public sealed class UNetLayoutTests
{
    [Fact]
    public void IF_II_L_matches_the_reference_names_and_shapes() =>
        AssertLayout(IfReference.IfIILConfigJson, "IF-II-L_keys.txt", publishedBillions: 1.243);

    [Fact]
    public void IF_I_XL_matches_the_reference_names_and_shapes() =>
        AssertLayout(IfReference.IfIXLConfigJson, "IF-I-XL_keys.txt", publishedBillions: 4.305);

    static void AssertLayout(string configJson, string referenceFile, double publishedBillions)
    {
        var reference = IfReference.ReadKeys(referenceFile);
        var config = UNet2DConditionConfig.Parse(configJson);

        UNet2DConditionModel model;
        using (Layers.BuildOn(torch.META)) model = new UNet2DConditionModel(config);
        using var _ = model;
        var ours = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        Assert.All(ours.Values, shape => Assert.NotEmpty(shape));

        var missing = reference.Keys.Except(ours.Keys).Order().ToList();
        var extra = ours.Keys.Except(reference.Keys).Order().ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0,
            $"missing: {string.Join(", ", missing.Take(10))}; unexpected: {string.Join(", ", extra.Take(10))}");
        var wrongShapes = reference.Where(kv => !kv.Value.SequenceEqual(ours[kv.Key]))
            .Select(kv => $"{kv.Key}: ours [{string.Join(", ", ours[kv.Key])}], reference [{string.Join(", ", kv.Value)}]").ToList();
        Assert.True(wrongShapes.Count == 0, string.Join("\n", wrongShapes.Take(10)));

        // The totals the reference README gives (4.305 B, 1.243 B parameters), to their three decimals.
        Assert.Equal(publishedBillions, Math.Round(model.ParameterCount() / 1e9, 3));
    }
}
