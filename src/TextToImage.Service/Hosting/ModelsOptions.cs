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

    /// <summary><c>auto</c> | <c>cpu</c> | <c>cuda</c>.</summary>
    public string Device { get; set; } = "auto";

    /// <summary><c>auto</c> | <c>float32</c> | <c>float16</c> | <c>bfloat16</c>.</summary>
    public string DType { get; set; } = "auto";
}
