using TextToImage.Diffusion.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Tests.IO;

public sealed class StateDictLoaderTests : IDisposable
{
    readonly TempFolder _dir = new();
    readonly DisposeScope _scope = NewDisposeScope();

    public void Dispose()
    {
        _scope.Dispose();
        _dir.Dispose();
    }

    static nn.Module<Tensor, Tensor> Model(int seed)
    {
        manual_seed(seed);
        return nn.Sequential(
            nn.Conv2d(3, 4, 3, padding: 1),
            nn.BatchNorm2d(4),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(4 * 5 * 5, 2));
    }

    [Fact]
    public void Saved_weights_load_into_a_fresh_module_and_give_identical_outputs()
    {
        var source = Model(seed: 1);
        // Move the BatchNorm running statistics off their defaults, so the test also proves buffers travel.
        source.train();
        source.call(randn(6, 3, 5, 5, generator: new Generator(9, CPU)));
        source.eval();
        var path = _dir["model.safetensors"];
        StateDictLoader.SaveFrom(source, path);

        var target = Model(seed: 2);
        target.eval();
        var input = randn(2, 3, 5, 5, generator: new Generator(10, CPU));
        Assert.False(source.call(input).allclose(target.call(input)));

        var result = StateDictLoader.LoadInto(target, Safetensors.Load(path));

        Assert.Empty(result.MissingKeys);
        Assert.Empty(result.UnexpectedKeys);
        TensorAssert.Same(source.call(input), target.call(input));
    }

    [Fact]
    public void SaveFrom_writes_parameters_and_persistent_buffers_under_state_dict_names()
    {
        var model = Model(seed: 1);
        var path = _dir["model.safetensors"];
        StateDictLoader.SaveFrom(model, path, metadata: new Dictionary<string, string> { ["arch"] = "toy" });

        var saved = Safetensors.Load(path);
        Assert.Equal(model.state_dict().Keys.Order(StringComparer.Ordinal), saved.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("1.running_mean", saved.Keys);
        Assert.Equal("toy", Safetensors.ReadMetadata(path)["arch"]);
    }

    [Fact]
    public void Half_precision_weights_are_converted_to_the_module_dtype()
    {
        var source = Model(seed: 1);
        var path = _dir["half.safetensors"];
        StateDictLoader.SaveFrom(source, path, ScalarType.Float16);

        var target = Model(seed: 2);
        StateDictLoader.LoadInto(target, Safetensors.Load(path));

        var expected = source.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, parameter) in target.named_parameters())
        {
            Assert.Equal(ScalarType.Float32, parameter.dtype);
            TensorAssert.Same(expected[name].detach().to_type(ScalarType.Float16).to_type(ScalarType.Float32), parameter.detach(), name);
        }
    }

    [Fact]
    public void Strict_load_reports_missing_keys_and_changes_nothing()
    {
        var target = Model(seed: 2);
        var before = target.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var weights = Weights(Model(seed: 1));
        weights.Remove("4.bias");

        var error = Assert.Throws<InvalidDataException>(() => StateDictLoader.LoadInto(target, weights));

        Assert.Contains("1 missing key (4.bias)", error.Message);
        foreach (var (name, value) in target.state_dict())
            TensorAssert.Same(before[name], value, name);
    }

    [Fact]
    public void Strict_load_reports_unexpected_keys()
    {
        var weights = Weights(Model(seed: 1));
        weights["extra.weight"] = ones(1);

        var error = Assert.Throws<InvalidDataException>(() => StateDictLoader.LoadInto(Model(seed: 2), weights));
        Assert.Contains("1 unexpected key (extra.weight)", error.Message);
    }

    [Fact]
    public void Non_strict_load_reports_missing_and_unexpected_keys_and_loads_the_rest()
    {
        var source = Model(seed: 1);
        var weights = Weights(source);
        weights.Remove("0.bias");
        weights["stray"] = ones(1);
        var target = Model(seed: 2);
        using (no_grad()) target.get_parameter("0.bias")!.fill_(42f);

        var result = StateDictLoader.LoadInto(target, weights, strict: false);

        Assert.Equal(["0.bias"], result.MissingKeys);
        Assert.Equal(["stray"], result.UnexpectedKeys);
        TensorAssert.Same(source.get_parameter("0.weight")!.detach(), target.get_parameter("0.weight")!.detach());
        // The missing entry keeps the value it had.
        TensorAssert.Same(full(4, 42f), target.get_parameter("0.bias")!.detach());
    }

    [Fact]
    public void Shape_mismatches_fail_even_when_not_strict()
    {
        var weights = Weights(Model(seed: 1));
        weights["4.weight"] = zeros(3, 100);

        foreach (var strict in new[] { true, false })
        {
            var error = Assert.Throws<InvalidDataException>(() => StateDictLoader.LoadInto(Model(seed: 2), weights, strict));
            Assert.Contains("1 shape mismatch (4.weight: module [2, 100], weights [3, 100])", error.Message);
        }
    }

    [Fact]
    public void Long_lists_are_cut_to_the_first_names_with_a_count()
    {
        var error = Assert.Throws<InvalidDataException>(() =>
            StateDictLoader.LoadInto(Model(seed: 2), Enumerable.Range(0, 15).ToDictionary(i => $"k{i:D2}", _ => ones(1))));

        Assert.Contains("15 unexpected keys (k00, k01, k02, k03, k04, k05, k06, k07, k08, k09, … and 5 more)", error.Message);
        Assert.Contains($"{Model(seed: 2).state_dict().Count} missing keys", error.Message);
    }

    [Fact]
    public void Weights_read_from_the_file_tensor_by_tensor_load_as_the_whole_file_does()
    {
        var source = Model(seed: 1);
        var path = _dir["model.safetensors"];
        StateDictLoader.SaveFrom(source, path, ScalarType.Float16);
        var whole = Model(seed: 2);
        StateDictLoader.LoadInto(whole, Safetensors.Load(path));

        var streamed = Model(seed: 3);
        var result = StateDictLoader.LoadInto(streamed, Safetensors.List(path).ToDictionary(t => t.Name));

        Assert.Empty(result.MissingKeys);
        var expected = whole.state_dict();
        foreach (var (name, value) in streamed.state_dict())
            TensorAssert.Same(expected[name], value, name);
    }

    [Fact]
    public void A_file_that_does_not_fit_is_refused_from_its_header_and_changes_nothing()
    {
        var path = _dir["other.safetensors"];
        var weights = Weights(Model(seed: 1));
        weights["4.weight"] = zeros(3, 100);
        Safetensors.Save(path, weights);
        var target = Model(seed: 2);
        var before = target.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());

        var stored = Safetensors.List(path).ToDictionary(t => t.Name);
        var error = Assert.Throws<InvalidDataException>(() => StateDictLoader.LoadInto(target, stored));

        Assert.Contains("1 shape mismatch (4.weight: module [2, 100], weights [3, 100])", error.Message);
        foreach (var (name, value) in target.state_dict())
            TensorAssert.Same(before[name], value, name);
    }

    static Dictionary<string, Tensor> Weights(nn.Module module) =>
        module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
}
