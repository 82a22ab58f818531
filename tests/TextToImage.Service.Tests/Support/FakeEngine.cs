using TextToImage.Service.Jobs;
using TextToImage.Service.Models;

namespace TextToImage.Service.Tests.Support;

/// <summary>
/// A stand-in for the cascade: reports steps and returns PNG-named bytes per stage, so the job's
/// bookkeeping can be tested without a network. <see cref="Behaviour"/> decides each call.
/// </summary>
sealed class FakeEngine : IGenerationEngine
{
    public int Calls;

    /// <summary>Runs inside <see cref="Generate"/> after stage 0: may throw, or block until canceled.</summary>
    public Action<CancellationToken> Behaviour { get; set; } = _ => { };

    /// <summary>Signalled when a call has reported its first step.</summary>
    public SemaphoreSlim Started { get; } = new(0);

    public IReadOnlyList<int> Resolutions { get; init; } = [16, 32];

    /// <summary>What every stage says the prompt was drawn as (a model with a prompt vocabulary); null: as given.</summary>
    public string? DrawnAs { get; set; }

    public IReadOnlyList<StageFiles> Generate(GenerationParameters parameters, UploadedInputs? inputs, Action<JobProgress> progress, Action<StageFiles> stageCompleted,
        CancellationToken cancellation)
    {
        Interlocked.Increment(ref Calls);
        var stages = new List<StageFiles>();
        var count = Resolutions.ToList().IndexOf(parameters.Resolution) + 1;
        for (var s = 0; s < count; s++)
        {
            progress(new JobProgress($"stage{s}", s, count, 1, 2));
            if (s == 0) Started.Release();
            cancellation.ThrowIfCancellationRequested();
            var stage = new StageFiles(s, $"stage{s}", Resolutions[s],
                Enumerable.Range(0, parameters.NumImages).Select(i => new byte[] { 0x89, (byte)'P', (byte)s, (byte)i }).ToList(), TimeSpan.FromSeconds(s + 1), DrawnAs);
            stages.Add(stage);
            stageCompleted(stage);
            if (s == 0) Behaviour(cancellation);
        }
        return stages;
    }
}
