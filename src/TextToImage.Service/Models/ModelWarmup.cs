using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace TextToImage.Service.Models;

/// <summary>Loads the default model in the background at start-up, so the first job does not pay for it.</summary>
public sealed class ModelWarmup(ModelCatalog catalog, CascadeEngine engine, ILogger<ModelWarmup> log) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stopping) => Task.Factory.StartNew(() =>
    {
        if (catalog.DefaultName is not { } name || catalog.Find(name) is null) return;
        try
        {
            engine.Preload(name);
        }
        catch (GenerationRejectedException e)
        {
            log.LogError("The default model does not load: {Reason}", e.Message);
        }
    }, stopping, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
