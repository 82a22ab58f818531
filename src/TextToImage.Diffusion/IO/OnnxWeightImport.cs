using TorchSharp;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.IO;

/// <summary>
/// Recovers a PyTorch state dict from an ONNX export. Exporters keep the names of initializers
/// that are used as they are (embeddings, biases, norms), but a Linear's weight is transposed into
/// an anonymous [in, out] MatMul operand ('925', '926', ...). Its name is recovered through the
/// graph: the Add that consumes that MatMul's output adds the Linear's (named) bias, so
/// "X.bias" names the weight "X.weight", transposed back to [out, in].
/// </summary>
public static class OnnxWeightImport
{
    /// <summary>
    /// The float tensors of <paramref name="graph"/> named by <paramref name="wanted"/>, on the CPU as
    /// float32 (the caller owns them). A name that cannot be found throws <see cref="InvalidDataException"/>
    /// listing every missing name: a foreign or damaged export fails here, not with a shape error later.
    /// </summary>
    public static Dictionary<string, Tensor> Import(OnnxGraph graph, IReadOnlyCollection<string> wanted, string source)
    {
        var named = NamedInitializers(graph);
        var missing = wanted.Where(name => !named.ContainsKey(name)).Order(StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException(
                $"{source}: {missing.Count} weight(s) not found in the ONNX graph ({string.Join(", ", missing.Take(StateDictLoader.ListedNames))}" +
                $"{(missing.Count > StateDictLoader.ListedNames ? ", …" : "")}); it is not the expected model, or it is damaged.");

        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var name in wanted)
            {
                var (initializer, transposed) = named[name];
                tensors[name] = ToTensor(initializer, transposed, source);
            }
            return tensors;
        }
        catch
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
            throw;
        }
    }

    /// <summary>Every initializer under its PyTorch name, with whether it is a transposed MatMul weight.</summary>
    static Dictionary<string, (OnnxTensor Initializer, bool Transposed)> NamedInitializers(OnnxGraph graph)
    {
        var named = graph.Initializers.Values.ToDictionary(t => t.Name, t => (t, false), StringComparer.Ordinal);
        var addsByInput = graph.Nodes.Where(n => n.OpType == "Add")
            .SelectMany(add => add.Inputs.Select(input => (input, add)))
            .ToLookup(p => p.input, p => p.add, StringComparer.Ordinal);
        foreach (var matMul in graph.Nodes.Where(n => n.OpType == "MatMul" && n.Inputs.Count == 2 && n.Outputs.Count == 1))
        {
            if (!graph.Initializers.TryGetValue(matMul.Inputs[1], out var weight)) continue;
            var bias = addsByInput[matMul.Outputs[0]]
                .SelectMany(add => add.Inputs)
                .FirstOrDefault(input => input.EndsWith(".bias", StringComparison.Ordinal) && graph.Initializers.ContainsKey(input));
            if (bias is not null) named.TryAdd(bias[..^".bias".Length] + ".weight", (weight, true));
        }
        return named;
    }

    static Tensor ToTensor(OnnxTensor initializer, bool transposed, string source)
    {
        var elements = initializer.Dims.Aggregate(1L, (a, b) => a * b);
        if (initializer.DataType != OnnxTensor.Float || initializer.Data.Length != elements * sizeof(float))
            throw new InvalidDataException(
                $"{source}: initializer '{initializer.Name}' is not float32 data of shape [{string.Join(", ", initializer.Dims)}] " +
                $"(data type {initializer.DataType}, {initializer.Data.Length} bytes).");
        var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(initializer.Data.Span).ToArray();
        using var scope = NewDisposeScope();
        var tensor = torch.tensor(values, initializer.Dims);
        return (transposed ? tensor.t().contiguous() : tensor).MoveToOuterDisposeScope();
    }
}
