using static TorchSharp.torch;

namespace TextToImage.Diffusion.Pipelines;

/// <summary>
/// One caller's consecutive images in a stage's batch: its guidance scale, its progress and its cancellation.
/// <paramref name="Member"/> says whose they are (the index of the request in a batch of requests).
/// </summary>
internal sealed record SamplingGroup(int Member, int Images, double GuidanceScale, Action<int, int> OnStep, CancellationToken Cancellation);

/// <summary>
/// The callers whose images share a stage's forwards, in batch order. A caller that cancels leaves the
/// batch at the next step (its rows are dropped) while the others go on; when none is left the stage ends
/// with <see cref="OperationCanceledException"/>.
/// </summary>
internal sealed class SamplingGroups
{
    readonly List<SamplingGroup> active;

    public SamplingGroups(IEnumerable<SamplingGroup> groups)
    {
        active = [.. groups];
        if (active.Count == 0 || active.Any(g => g.Images < 1))
            throw new ArgumentException("A batch needs at least one group, each of at least one image.", nameof(groups));
    }

    /// <summary>One caller, as every single request runs.</summary>
    public static SamplingGroups Single(int images, double guidanceScale, Action<int, int> onStep, CancellationToken cancellation) =>
        new([new SamplingGroup(0, images, guidanceScale, onStep, cancellation)]);

    public IReadOnlyList<SamplingGroup> Active => active;

    public int Images => active.Sum(g => g.Images);

    /// <summary>
    /// Drops the groups whose caller cancelled; returns the image rows that stay (in order), or null when
    /// no caller cancelled. Throws <see cref="OperationCanceledException"/> (with the last caller's token) when no group is left.
    /// </summary>
    public long[]? DropCanceled()
    {
        if (!active.Any(g => g.Cancellation.IsCancellationRequested)) return null;
        if (active.All(g => g.Cancellation.IsCancellationRequested)) active[^1].Cancellation.ThrowIfCancellationRequested();
        var kept = new List<long>();
        var row = 0L;
        foreach (var group in active)
        {
            if (!group.Cancellation.IsCancellationRequested)
                for (var i = 0; i < group.Images; i++) kept.Add(row + i);
            row += group.Images;
        }
        active.RemoveAll(g => g.Cancellation.IsCancellationRequested);
        return [.. kept];
    }

    public void Stepped(int step, int total)
    {
        foreach (var group in active) group.OnStep(step, total);
    }

    /// <summary>The guidance scale every image shares, or null when the groups differ.</summary>
    public double? UniformGuidanceScale => active.All(g => g.GuidanceScale == active[0].GuidanceScale) ? active[0].GuidanceScale : null;

    /// <summary>Each image's guidance scale as [N, 1, 1, 1] float32 on <paramref name="device"/>.</summary>
    public Tensor GuidanceScaleRows(Device device) =>
        tensor(active.SelectMany(g => Enumerable.Repeat((float)g.GuidanceScale, g.Images)).ToArray(), device: device).reshape(-1, 1, 1, 1);
}
