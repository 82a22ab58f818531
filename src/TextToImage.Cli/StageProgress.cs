using Spectre.Console;
using TextToImage.Diffusion.Pipelines;

namespace TextToImage.Cli;

/// <summary>Runs a pipeline with a progress bar per stage; Ctrl-C cancels within one sampler step.</summary>
static class StageProgress
{
    public static GenerationResult Run(Func<Action<GenerationProgress>, CancellationToken, GenerationResult> pipeline)
    {
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCtrlC = (_, e) => { e.Cancel = true; cancel.Cancel(); };
        Console.CancelKeyPress += onCtrlC;
        GenerationResult? result = null;
        try
        {
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(context =>
                {
                    var bars = new Dictionary<int, ProgressTask>();
                    result = pipeline(progress =>
                    {
                        if (!bars.TryGetValue(progress.StageIndex, out var bar))
                            bars[progress.StageIndex] = bar = context.AddTask($"{progress.StageName} ({progress.StageIndex + 1}/{progress.StageCount})", maxValue: progress.TotalSteps);
                        bar.Value = progress.Step;
                    }, cancel.Token);
                });
        }
        finally
        {
            Console.CancelKeyPress -= onCtrlC;
        }
        return result!;
    }
}
