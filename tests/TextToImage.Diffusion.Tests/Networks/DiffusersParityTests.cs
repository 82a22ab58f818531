using Xunit.Abstractions;
using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Networks;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Tests.Networks;

/// <summary>
/// Numerical parity with diffusers' own <c>UNet2DConditionModel</c>, against a golden fixture in
/// Networks/Fixtures/diffusers-tiny-if/ (copied beside the tests by the test csproj).
///
/// How the fixture was made (Networks/Fixtures/make_diffusers_tiny_if.py remakes it; see the README there):
/// <list type="bullet">
/// <item>diffusers v0.30.3, commit c9ff360966327ace3faad3807dc871a4e5447501, its unmodified
///   <c>diffusers.models.unets.unet_2d_condition.UNet2DConditionModel</c>, imported from the source tree
///   with stand-in modules for huggingface_hub and safetensors (which the forward pass never uses).
///   PyTorch 1.13.1 (Debian 12 python3-torch, CPU, float32), so attention ran through diffusers'
///   <c>AttnAddedKVProcessor</c> (no scaled_dot_product_attention in torch 1.13).</item>
/// <item>config.json: exactly what diffusers' <c>save_config</c> wrote for the constructor arguments:
///   IF-II-L's choices scaled down to 90,366 parameters: down ResnetDownsampleBlock2D +
///   SimpleCrossAttnDownBlock2D, mid UNetMidBlock2DSimpleCrossAttn, up SimpleCrossAttnUpBlock2D +
///   ResnetUpsampleBlock2D, block_out_channels [8, 16], layers_per_block [1, 2], attention_head_dim 8,
///   norm_num_groups 4, cross_attention_dim 32, encoder_hid_dim 24 (text_proj), addition_embed_type
///   "text" with 2 heads, class_embed_type "timestep", time_embedding_dim 48, resnet_time_scale_shift
///   "scale_shift", act_fn and time_embedding_act_fn "gelu", resnet_skip_time_act, resnet_out_scale_factor
///   and mid_block_scale_factor 1.414, cross_attention_norm "group_norm", in/out channels 6, sample_size 16.</item>
/// <item>weights.safetensors: the model's state_dict (diffusers' names, F32) after torch.manual_seed(0), building
///   the model, then overwriting EVERY parameter in named_parameters() order, so none keeps diffusers' init
///   (norms at 1/0, zero-initialised output convs): kernels (dim >= 2) ~ N(0, 1/sqrt(fan_in)),
///   norm scales ~ N(1, 0.2), biases and norm shifts ~ N(0, 0.2). Then model.eval().</item>
/// <item>io.safetensors: after torch.manual_seed(1): sample = randn(2, 6, 16, 16), encoder_hidden_states =
///   randn(2, 7, 24); timestep = [999, 10] and class_labels = [250, 0] (int64); encoder_attention_mask None
///   (our port matches diffusers exactly only without a mask). "expected" = model(...).sample under no_grad.
///   "intermediate.*" are forward-hook outputs (time/class/add embeddings, encoder_hid_proj, conv_in, each
///   down block's hidden state, mid block, each up block, conv_norm_out) kept to bisect a divergence.</item>
/// </list>
/// Tolerance: max |ours - diffusers| &lt;= 1e-4 on outputs of magnitude up to ~3.3 (std ~0.64);
/// measured max abs diff on CPU (TorchSharp, float32): 2.861e-6.
/// </summary>
public sealed class DiffusersParityTests(ITestOutputHelper output)
{
    const double Tolerance = 1e-4;

    static string Fixture(string folder, string file) =>
        Path.Combine(AppContext.BaseDirectory, "Networks", "Fixtures", folder, file);

    /// <param name="folder">
    /// diffusers-tiny-if: IF-II-L's choices (above); diffusers-tiny-if-i: IF-I-XL's, made by the same script with
    /// <c>--shape if-i</c> (215,150 parameters: 3 input channels, no class embedding, three levels with
    /// cross-attention in the last two, layers_per_block 2, diffusers' defaults for the time embedding, skip
    /// activation and scale factors, as IF-I-XL's config leaves them; measured 3.1e-6).
    /// </param>
    [Theory]
    [InlineData("diffusers-tiny-if")]
    [InlineData("diffusers-tiny-if-i")]
    public void Tiny_IF_unet_matches_diffusers_output(string folder)
    {
        using var scope = NewDisposeScope();
        var config = UNet2DConditionConfig.Load(Fixture(folder, "config.json"));
        using var model = new UNet2DConditionModel(config);
        StateDictLoader.LoadInto(model, Safetensors.Load(Fixture(folder, "weights.safetensors")), strict: true);
        model.eval();

        var io = Safetensors.Load(Fixture(folder, "io.safetensors"));
        Tensor ours;
        using (no_grad())
            ours = model.call(io["sample"], io["timestep"], io["encoder_hidden_states"], null, io.GetValueOrDefault("class_labels"));

        var expected = io["expected"];
        Assert.Equal(expected.shape, ours.shape);
        Assert.Equal(ScalarType.Float32, ours.dtype);
        var maxDiff = (ours - expected).abs().max().item<float>();
        output.WriteLine($"max |ours - diffusers| = {maxDiff:E3} (|expected| max {expected.abs().max().item<float>():F3})");
        Assert.True(maxDiff <= Tolerance, $"max |ours - diffusers| = {maxDiff:E3} > {Tolerance:E0}");
    }
}
