using System.Text.Json;
using TorchSharp;

namespace TextToImage.Diffusion.IO;

/// <summary>
/// The weights of one Hugging Face component folder, in any of the layouts transformers and diffusers save:
/// one file (<c>{stem}.safetensors</c>), a variant (<c>{stem}.fp16.safetensors</c>), or shards listed by an
/// index (<c>{stem}.safetensors.index.json</c>, or <c>{stem}.safetensors.index.fp16.json</c> for a variant's,
/// whose <c>weight_map</c> names each tensor's shard). Stems: transformers' <c>model</c>, diffusers'
/// <c>diffusion_pytorch_model</c>.
/// </summary>
public static class PretrainedWeights
{
    /// <summary>The variant IF's published folders are mostly downloaded as; taken when the full-precision files are absent.</summary>
    public const string Float16Variant = "fp16";

    /// <summary>
    /// Loads the tensors <paramref name="include"/> selects (all when null) onto <paramref name="device"/>.
    /// With no <paramref name="variant"/>: the full-precision files, else the fp16 variant's when only those exist.
    /// </summary>
    public static IReadOnlyDictionary<string, torch.Tensor> Load(string folder, string stem, string? variant = null, Func<string, bool>? include = null, torch.Device? device = null)
    {
        var tensors = new Dictionary<string, torch.Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, stored) in List(folder, stem, variant, include))
                tensors.Add(name, stored.Read(device));
            return tensors;
        }
        catch
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The tensors <paramref name="include"/> selects, from the files' headers, none read yet (for
    /// <see cref="StateDictLoader.LoadInto(torch.nn.Module, IReadOnlyDictionary{string, StoredTensor}, bool)"/>).
    /// Files are chosen as <see cref="Load"/> chooses them.
    /// </summary>
    public static Dictionary<string, StoredTensor> List(string folder, string stem, string? variant = null, Func<string, bool>? include = null)
    {
        var files = Files(folder, stem, variant);
        var tensors = new Dictionary<string, StoredTensor>(StringComparer.Ordinal);
        foreach (var (file, names) in files)
            foreach (var stored in Safetensors.List(file))
            {
                if (names is not null && !names.Contains(stored.Name) || include is not null && !include(stored.Name)) continue;
                if (!tensors.TryAdd(stored.Name, stored))
                    throw new InvalidDataException($"{file}: tensor '{stored.Name}' is also in another shard of {folder}.");
            }
        if (files[0].Names is not null && files.Sum(f => f.Names!.Count(n => include is null || include(n))) is var listed && listed != tensors.Count)
            throw new InvalidDataException($"{folder}: its index lists {listed} tensors; the shards hold {tensors.Count} of them.");
        return tensors;
    }

    /// <summary>Each file to read, with the names the index assigns it (null: a single file, every name).</summary>
    static IReadOnlyList<(string File, HashSet<string>? Names)> Files(string folder, string stem, string? variant)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"No weights folder {folder}.");
        if (variant is null && Find(folder, stem, null) is null && Find(folder, stem, Float16Variant) is not null) variant = Float16Variant;
        return Find(folder, stem, variant) ?? throw new FileNotFoundException(
            $"Weights missing: {Path.Combine(folder, Single(stem, variant))}, and no {Index(stem, variant)} of shards beside it (the folder holds: {string.Join(", ", Directory.EnumerateFiles(folder).Select(Path.GetFileName).Order())}).");
    }

    static IReadOnlyList<(string, HashSet<string>?)>? Find(string folder, string stem, string? variant)
    {
        var single = Path.Combine(folder, Single(stem, variant));
        if (File.Exists(single)) return [(single, null)];
        var index = Path.Combine(folder, Index(stem, variant));
        return File.Exists(index) ? Shards(folder, index) : null;
    }

    static string Single(string stem, string? variant) => variant is null ? $"{stem}.safetensors" : $"{stem}.{variant}.safetensors";

    static string Index(string stem, string? variant) => variant is null ? $"{stem}.safetensors.index.json" : $"{stem}.safetensors.index.{variant}.json";

    static IReadOnlyList<(string, HashSet<string>?)> Shards(string folder, string index)
    {
        Dictionary<string, string> map;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(index));
            map = document.RootElement.GetProperty("weight_map").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"{index}: not a safetensors index (a JSON object with a weight_map of tensor name to shard file): {e.Message}", e);
        }
        var shards = new List<(string, HashSet<string>?)>();
        foreach (var group in map.GroupBy(p => p.Value, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            if (group.Key.Contains('/') || group.Key.Contains('\\') || group.Key.Contains(".."))
                throw new InvalidDataException($"{index}: shard '{group.Key}' is not a file name beside the index.");
            var shard = Path.Combine(folder, group.Key);
            if (!File.Exists(shard)) throw new FileNotFoundException($"{index} names shard {group.Key}, which is not in {folder}.");
            shards.Add((shard, group.Select(p => p.Key).ToHashSet(StringComparer.Ordinal)));
        }
        return shards;
    }
}
