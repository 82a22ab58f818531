using Microsoft.Extensions.Options;

namespace TextToImage.Service.Hosting;

/// <summary>The <c>Models</c> section: where model folders are, which is the default, where they run.</summary>
public sealed class ModelsOptions
{
    public const string Section = "Models";

    /// <summary>
    /// Model folders (holding <c>model_index.json</c>) or folders of model folders. Relative paths
    /// are looked for under the content root, the application folder and the data root.
    /// Empty here on purpose: the configuration binder appends to a list's initial items, so a
    /// default of ["models"] would survive an operator's <c>Models__Folders__0=/elsewhere</c>.
    /// <see cref="SearchedFolders"/> supplies it when nothing is configured.
    /// </summary>
    public List<string> Folders { get; set; } = [];

    /// <summary>The configured folders, or <c>models</c> when none are.</summary>
    public IReadOnlyList<string> SearchedFolders => Folders.Count > 0 ? Folders : ["models"];

    /// <summary>The model used when a request names none; the first found when unset.</summary>
    public string? Default { get; set; }

    /// <summary><c>auto</c> (a CUDA GPU when one is usable) | <c>cpu</c> | <c>cuda</c>.</summary>
    public ModelDevice Device { get; set; } = ModelDevice.Auto;

    /// <summary>
    /// <c>auto</c> (float16 on GPUs; float32 on CPU, with super-resolution stages in bfloat16 where the CPU has it) |
    /// <c>float32</c> | <c>float16</c> | <c>bfloat16</c>.
    /// </summary>
    public ModelPrecision DType { get; set; } = ModelPrecision.Auto;

    /// <summary>
    /// On a GPU: keep the networks in CPU memory and move each to the GPU only while it runs (the text encoder for
    /// encoding, then each stage for its sampling), so the GPU needs the largest of them, not all. No effect on a CPU.
    /// </summary>
    public bool Offload { get; set; }
}

/// <summary>Where <see cref="ModelsOptions.Device"/> runs models.</summary>
public enum ModelDevice
{
    Auto,
    Cpu,
    Cuda,
}

/// <summary>The number type <see cref="ModelsOptions.DType"/> runs models in.</summary>
public enum ModelPrecision
{
    Auto,
    Float32,
    Float16,
    BFloat16,
}

/// <summary>The <c>Models</c> section's rules. Whether the device exists and takes the precision is known only once libtorch loads: the model check reports that.</summary>
public sealed class ModelsOptionsValidator : IValidateOptions<ModelsOptions>
{
    public ValidateOptionsResult Validate(string? name, ModelsOptions options)
    {
        var problems = new List<string>();
        problems.CheckDefined("Models:Device", options.Device);
        problems.CheckDefined("Models:DType", options.DType);
        if (options.Folders.Any(string.IsNullOrWhiteSpace)) problems.Add("Models:Folders must not hold an empty entry");
        return OptionsValidation.Result(problems);
    }
}
