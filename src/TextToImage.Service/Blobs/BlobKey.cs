using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace TextToImage.Service.Blobs;

/// <summary>
/// A blob's name: lowercase segments of letters, digits, '-' and '_' separated by '/', ending in a
/// file name with an extension. Nothing a client sends can name a path outside the store: no
/// '..', no absolute paths, no backslashes, no encoded separators.
/// </summary>
public sealed partial record BlobKey
{
    public const int MaxLength = 256;

    public string Value { get; }

    BlobKey(string value) => Value = value;

    public static bool TryParse(string? text, [NotNullWhen(true)] out BlobKey? key)
    {
        key = text is { Length: > 0 and <= MaxLength } && Shape().IsMatch(text) ? new BlobKey(text) : null;
        return key is not null;
    }

    public static BlobKey Parse(string text) =>
        TryParse(text, out var key) ? key : throw new ArgumentException($"'{text}' is not a valid blob key.", nameof(text));

    /// <summary>Image <paramref name="index"/> of a job's final output, a file with <paramref name="extension"/> (png, webp, jpg).</summary>
    public static BlobKey ForImage(string jobId, int index, string extension) => Parse($"{jobId}/{index}.{extension}");

    /// <summary>Image <paramref name="index"/> of an intermediate stage (progressive results).</summary>
    public static BlobKey ForStageImage(string jobId, int stageIndex, int index, string extension) => Parse($"{jobId}/stage-{stageIndex}/{index}.{extension}");

    /// <summary>The picture uploaded for an edit or upscale, as PNG.</summary>
    public static BlobKey ForInput(string jobId) => Parse($"{jobId}/input.png");

    /// <summary>The inpainting mask uploaded for an edit, as PNG.</summary>
    public static BlobKey ForMask(string jobId) => Parse($"{jobId}/mask.png");

    public override string ToString() => Value;

    // \z, not $: in .NET '$' also matches before a final '\n', which would let "abc/0.png\n" through.
    [GeneratedRegex(@"^([a-z0-9][a-z0-9_-]*/)*[a-z0-9][a-z0-9_-]*\.[a-z0-9]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}
