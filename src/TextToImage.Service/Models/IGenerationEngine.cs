using TextToImage.Service.Jobs;

namespace TextToImage.Service.Models;

/// <summary>Runs one generation to image files (the job's format). Synchronous: call it on a thread of its own.</summary>
public interface IGenerationEngine
{
    /// <param name="inputs">The PNGs of an edit's or upscale's inputs; null for a generation.</param>
    /// <param name="progress">Called after every sampler step.</param>
    /// <param name="stageCompleted">Called with each stage's images as soon as they exist.</param>
    /// <returns>Every stage's images, in order; the last are the final output.</returns>
    /// <exception cref="GenerationRejectedException">The job cannot succeed however often it is retried.</exception>
    IReadOnlyList<StageFiles> Generate(GenerationParameters parameters, UploadedInputs? inputs, Action<JobProgress> progress, Action<StageFiles> stageCompleted,
        CancellationToken cancellation);
}

/// <summary>One stage's images as files of the job's format that carry their generation metadata; image i has seed + i.</summary>
/// <param name="DrawnAs">The model's vocabulary caption the prompt was drawn as; null when drawn as given.</param>
public sealed record StageFiles(int StageIndex, string Stage, int Resolution, IReadOnlyList<byte[]> Files, TimeSpan Elapsed, string? DrawnAs = null);

/// <summary>A job that would fail again on retry: a bad request or a model that does not load. <see cref="Code"/> is a <see cref="JobError"/> code.</summary>
public sealed class GenerationRejectedException(string code, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Code { get; } = code;
}
