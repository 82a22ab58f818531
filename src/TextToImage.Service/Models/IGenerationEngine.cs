using TextToImage.Service.Jobs;

namespace TextToImage.Service.Models;

/// <summary>Runs one generation to PNG bytes. Synchronous: call it on a thread of its own.</summary>
public interface IGenerationEngine
{
    /// <param name="inputs">The PNGs of an edit's or upscale's inputs; null for a generation.</param>
    /// <param name="progress">Called after every sampler step.</param>
    /// <param name="stageCompleted">Called with each stage's images as soon as they exist.</param>
    /// <returns>Every stage's images, in order; the last are the final output.</returns>
    /// <exception cref="GenerationRejectedException">The job cannot succeed however often it is retried.</exception>
    IReadOnlyList<StagePngs> Generate(GenerationParameters parameters, UploadedInputs? inputs, Action<JobProgress> progress, Action<StagePngs> stageCompleted,
        CancellationToken cancellation);
}

/// <summary>One stage's images as PNGs that carry their generation metadata; image i has seed + i.</summary>
public sealed record StagePngs(int StageIndex, string Stage, int Resolution, IReadOnlyList<byte[]> Pngs, TimeSpan Elapsed);

/// <summary>A job that would fail again on retry: a bad request or a model that does not load. <see cref="Code"/> is a <see cref="JobError"/> code.</summary>
public sealed class GenerationRejectedException(string code, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Code { get; } = code;
}
