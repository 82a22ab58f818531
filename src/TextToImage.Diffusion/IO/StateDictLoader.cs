using TorchSharp;

namespace TextToImage.Diffusion.IO;

/// <summary>What a non-strict load left out: module entries with no weight, and weights no entry took.</summary>
public sealed record StateDictLoadResult(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys);

/// <summary>
/// Copies named weights into a module's parameters and persistent buffers (the same names
/// state_dict uses), and saves them back out.
/// </summary>
public static class StateDictLoader
{
    /// <summary>How many names of each kind an error message lists before it only counts.</summary>
    public const int ListedNames = 10;

    /// <summary>
    /// Copies each weight into the module entry of the same name under no_grad, converting it to the
    /// entry's dtype and device (the module keeps its own dtype and placement). Everything is checked
    /// before anything is copied, so a failed load leaves the module untouched. Shape mismatches always
    /// throw <see cref="InvalidDataException"/>; in strict mode so do missing and unexpected names.
    /// </summary>
    public static StateDictLoadResult LoadInto(torch.nn.Module module, IReadOnlyDictionary<string, torch.Tensor> weights, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(weights);
        return Copy(module, weights.ToDictionary(w => w.Key, w => w.Value.shape, StringComparer.Ordinal), strict, (name, target) =>
            // copy_ converts dtype and crosses devices itself. It returns the target object,
            // which belongs to the module: never dispose it.
            target.copy_(weights[name]));
    }

    /// <summary>
    /// As <see cref="LoadInto(torch.nn.Module, IReadOnlyDictionary{string, torch.Tensor}, bool)"/>, reading each
    /// weight from its file only to copy it: the peak memory is the module plus its largest tensor, not plus the file.
    /// Names and shapes are checked from the files' headers before anything is read.
    /// </summary>
    public static StateDictLoadResult LoadInto(torch.nn.Module module, IReadOnlyDictionary<string, StoredTensor> weights, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(weights);
        return Copy(module, weights.ToDictionary(w => w.Key, w => w.Value.Shape, StringComparer.Ordinal), strict, (name, target) =>
        {
            using var source = weights[name].Read();
            target.copy_(source);
        });
    }

    static StateDictLoadResult Copy(torch.nn.Module module, Dictionary<string, long[]> shapes, bool strict, Action<string, torch.Tensor> copy)
    {
        ArgumentNullException.ThrowIfNull(module);
        var targets = Entries(module);

        var missing = targets.Keys.Where(name => !shapes.ContainsKey(name)).Order(StringComparer.Ordinal).ToList();
        var unexpected = shapes.Keys.Where(name => !targets.ContainsKey(name)).Order(StringComparer.Ordinal).ToList();
        var mismatched = targets
            .Where(t => shapes.TryGetValue(t.Key, out var shape) && !shape.SequenceEqual(t.Value.shape))
            .OrderBy(t => t.Key, StringComparer.Ordinal)
            .Select(t => $"{t.Key}: module {Shape(t.Value.shape)}, weights {Shape(shapes[t.Key])}")
            .ToList();

        if (mismatched.Count > 0 || (strict && (missing.Count > 0 || unexpected.Count > 0)))
            throw new InvalidDataException(Describe(module, strict ? missing : [], strict ? unexpected : [], mismatched));

        using (torch.no_grad())
            foreach (var (name, target) in targets)
                if (shapes.ContainsKey(name))
                    copy(name, target);
        return new StateDictLoadResult(missing, unexpected);
    }

    /// <summary>Saves the module's parameters and persistent buffers under their state_dict names.</summary>
    public static void SaveFrom(
        torch.nn.Module module,
        string path,
        torch.ScalarType? dtype = null,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        Safetensors.Save(path, Entries(module), dtype, metadata);
    }

    static Dictionary<string, torch.Tensor> Entries(torch.nn.Module module)
    {
        var entries = new Dictionary<string, torch.Tensor>(StringComparer.Ordinal);
        foreach (var (name, parameter) in module.named_parameters(recurse: true))
            entries.TryAdd(name, parameter);
        // Non-persistent buffers (e.g. precomputed tables) are rebuilt by the module, never stored.
        foreach (var (name, buffer) in module.named_buffers(recurse: true, include_nonpersistent: false))
            entries.TryAdd(name, buffer);
        return entries;
    }

    static string Describe(torch.nn.Module module, List<string> missing, List<string> unexpected, List<string> mismatched)
    {
        var parts = new List<string>();
        if (missing.Count > 0) parts.Add(List(missing.Count, "missing key", missing));
        if (unexpected.Count > 0) parts.Add(List(unexpected.Count, "unexpected key", unexpected));
        if (mismatched.Count > 0) parts.Add(List(mismatched.Count, "shape mismatch", mismatched));
        return $"Weights do not fit {module.GetType().Name}: {string.Join("; ", parts)}.";
    }

    static string List(int count, string kind, List<string> items)
    {
        var shown = string.Join(", ", items.Take(ListedNames));
        var more = count > ListedNames ? $", … and {count - ListedNames} more" : "";
        return $"{count} {kind}{(count == 1 ? "" : kind.EndsWith('h') ? "es" : "s")} ({shown}{more})";
    }

    static string Shape(long[] shape) => $"[{string.Join(", ", shape)}]";
}
