using TextToImage.Diffusion.Networks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Tests.Networks;

public sealed class UNetForwardTests
{
    static Tensor Randn(Generator g, params long[] shape) => randn(shape, generator: g);

    static Tensor Run(UNet2DConditionModel model, Tensor sample, Tensor text, Tensor? mask = null, Tensor? labels = null, long t = 500)
    {
        using var _ = no_grad();
        return model.call(sample, tensor(new[] { t, t / 2 }[..(int)sample.shape[0]]), text, mask, labels);
    }

    [Fact]
    public void A_network_built_inside_a_dispose_scope_outlives_it()
    {
        UNet2DConditionModel model;
        using (NewDisposeScope())
            model = new UNet2DConditionModel(UNetPresets.Tiny(sampleSize: 8, superResolution: true));
        using (model)
        using (NewDisposeScope())
        {
            var g = new Generator(2);
            var output = Run(model, Randn(g, 1, 6, 8, 8), Randn(g, 1, 5, 32), labels: tensor(new[] { 100L }));
            Assert.True(output.isfinite().all().item<bool>());
            Assert.All(model.parameters(), p => Assert.False(p.IsInvalid));
        }
    }

    [Fact]
    public void Base_stage_maps_a_sample_to_a_prediction_of_the_same_size()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(1);
        using var model = new UNet2DConditionModel(UNetPresets.Tiny(sampleSize: 8));
        var output = Run(model, Randn(g, 2, 3, 8, 8), Randn(g, 2, 5, 32));
        Assert.Equal([2, 3, 8, 8], output.shape);
        Assert.True(output.isfinite().all().item<bool>());
    }

    [Fact]
    public void Super_resolution_stage_takes_six_channels_and_the_noise_level()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(2);
        using var model = new UNet2DConditionModel(UNetPresets.Tiny(sampleSize: 16, superResolution: true, encoderHidDim: 48));
        var (sample, text) = (Randn(g, 2, 6, 16, 16), Randn(g, 2, 7, 48));
        var output = Run(model, sample, text, labels: tensor(new long[] { 0, 250 }));
        Assert.Equal([2, 3, 16, 16], output.shape);

        var other = Run(model, sample, text, labels: tensor(new long[] { 100, 900 }));
        Assert.True((output - other).abs().max().item<float>() > 1e-4f, "the noise level must change the prediction");

        var missing = Assert.Throws<ArgumentException>(() => Run(model, sample, text));
        Assert.Contains("classLabels", missing.Message);
    }

    [Fact]
    public void Masked_tokens_are_ignored_and_real_tokens_are_not()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(3);
        // encoder_hid_proj, the pooled text embedding and the attention layers all see the mask.
        using var model = new UNet2DConditionModel(UNetPresets.Tiny(encoderHidDim: 48));
        var sample = Randn(g, 2, 3, 8, 8);
        var text = Randn(g, 2, 6, 48);
        var mask = tensor(new[,] { { true, true, true, true, false, false }, { true, true, false, false, false, false } });
        var output = Run(model, sample, text, mask);

        var padChanged = text.clone();
        padChanged[0, 4..] = Randn(g, 2, 48) * 10;
        padChanged[1, 2..] = Randn(g, 4, 48) * 10;
        Assert.True(output.allclose(Run(model, sample, padChanged, mask), rtol: 0, atol: 1e-6));

        var asNumbers = mask.to(ScalarType.Float32);   // 0/1 masks mean the same
        Assert.True(output.allclose(Run(model, sample, text, asNumbers), rtol: 0, atol: 1e-6));

        var realChanged = text.clone();
        realChanged[0, 1] = Randn(g, 48) * 10;
        var changed = Run(model, sample, realChanged, mask);
        Assert.True((changed[0] - output[0]).abs().max().item<float>() > 1e-4f, "a real token must matter");
        Assert.True(changed[1].allclose(output[1], rtol: 0, atol: 1e-6), "samples are independent");

        Assert.True((Run(model, sample, padChanged) - output).abs().max().item<float>() > 1e-4f, "without a mask every token counts");
    }

    [Fact]
    public void A_scalar_timestep_stands_for_the_whole_batch()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(4);
        using var model = new UNet2DConditionModel(UNetPresets.Tiny());
        var (sample, text) = (Randn(g, 2, 3, 8, 8), Randn(g, 2, 4, 32));
        using var _ = no_grad();
        var scalar = model.call(sample, tensor(300L), text, null, null);
        var perSample = model.call(sample, tensor(new long[] { 300, 300 }), text, null, null);
        Assert.True(scalar.allclose(perSample, rtol: 0, atol: 0));
        var later = model.call(sample, tensor(new long[] { 700, 700 }), text, null, null);
        Assert.True((later - scalar).abs().max().item<float>() > 1e-4f, "the timestep must change the prediction");
    }

    [Theory]
    [InlineData(ScalarType.BFloat16, 0.05)]
    [InlineData(ScalarType.Float16, 0.01)]
    public void Half_precision_outputs_stay_close_to_float32(ScalarType dtype, double tolerance)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(5);
        using var model = new UNet2DConditionModel(UNetPresets.Tiny(superResolution: true));
        var (sample, text) = (Randn(g, 2, 6, 8, 8), Randn(g, 2, 5, 32));
        var labels = tensor(new long[] { 100, 250 });
        var full = Run(model, sample, text, labels: labels);

        model.to(dtype);
        var half = Run(model, sample, text, labels: labels);
        Assert.Equal(dtype, half.dtype);
        var error = (half.to(ScalarType.Float32) - full).abs().max().item<float>();
        var scale = full.abs().max().item<float>();
        Assert.True(error <= tolerance * scale, $"{dtype}: max error {error} against output scale {scale}");
    }

    [Fact]
    public void Float32_agrees_with_float64()
    {
        // Widths 8 + 16 = 24 after a skip concatenation: the shape libtorch's NCHW CPU kernels get wrong here.
        using var scope = NewDisposeScope();
        var g = new Generator(7);
        using var model = new UNet2DConditionModel(UNetPresets.Tiny(superResolution: true, encoderHidDim: 64));
        var (sample, text, labels) = (Randn(g, 2, 6, 8, 8), Randn(g, 2, 5, 64), tensor(new long[] { 30, 600 }));
        var mask = tensor(new[,] { { true, true, true, false, false }, { true, true, true, true, true } });
        var single = Run(model, sample, text, mask, labels);
        model.to(ScalarType.Float64);
        var reference = Run(model, sample.to(ScalarType.Float64), text.to(ScalarType.Float64), mask, labels);
        Assert.True((single.to(ScalarType.Float64) - reference).abs().max().item<double>() < 1e-5);
    }

    [Fact]
    public void Every_normalisation_layer_starts_at_weight_one_and_bias_zero()
    {
        // TorchSharp 0.107's GroupNorm leaves its affine parameters uninitialised.
        foreach (var config in new[] { UNetPresets.Tiny(encoderHidDim: 64, superResolution: true), UNetPresets.Base32() })
        {
            using var scope = NewDisposeScope();
            using var model = new UNet2DConditionModel(config);
            var norms = model.named_modules().Where(m => m.module is GroupNorm2d or LayerNorm).ToList();
            Assert.True(norms.Count > 10);
            foreach (var (name, norm) in norms)
            {
                var parameters = norm.named_parameters().ToDictionary(p => p.name, p => p.parameter);
                Assert.True(parameters["weight"].eq(1).all().item<bool>(), $"{name}.weight");
                Assert.True(parameters["bias"].eq(0).all().item<bool>(), $"{name}.bias");
            }
        }
    }

    [Fact]
    public void A_state_dict_loaded_into_a_fresh_network_reproduces_its_outputs()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(6);
        var config = UNetPresets.Tiny(superResolution: true, encoderHidDim: 64);
        using var trained = new UNet2DConditionModel(config);
        using var fresh = new UNet2DConditionModel(config);
        var (sample, text, labels) = (Randn(g, 2, 6, 8, 8), Randn(g, 2, 3, 64), tensor(new long[] { 5, 50 }));
        var expected = Run(trained, sample, text, labels: labels);
        Assert.False(expected.allclose(Run(fresh, sample, text, labels: labels)), "two fresh networks must differ");

        var (missing, unexpected) = fresh.load_state_dict(trained.state_dict());
        Assert.Empty(missing);
        Assert.Empty(unexpected);
        Assert.True(expected.allclose(Run(fresh, sample, text, labels: labels), rtol: 0, atol: 0));
    }

    [Fact]
    public void Wrong_inputs_fail_with_a_sentence()
    {
        using var scope = NewDisposeScope();
        using var model = new UNet2DConditionModel(UNetPresets.Tiny());
        var text = zeros(1, 4, 32);
        Assert.Contains("[B, 3, H, W]", Assert.Throws<ArgumentException>(() => Run(model, zeros(1, 6, 8, 8), text)).Message);
        Assert.Contains("multiples of 2", Assert.Throws<ArgumentException>(() => Run(model, zeros(1, 3, 7, 8), text)).Message);
        Assert.Contains("[1, L, 32]", Assert.Throws<ArgumentException>(() => Run(model, zeros(1, 3, 8, 8), zeros(1, 4, 16))).Message);
        Assert.Contains("no class_embed_type", Assert.Throws<ArgumentException>(
            () => Run(model, zeros(1, 3, 8, 8), text, labels: tensor(new long[] { 1 }))).Message);
    }
}
