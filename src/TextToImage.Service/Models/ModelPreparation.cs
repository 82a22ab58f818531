using Microsoft.Extensions.DependencyInjection;

namespace TextToImage.Service.Models;

/// <summary>
/// A host started with <c>--prepare-models</c> loads every model it finds once and exits instead of
/// serving. A first load converts and caches what it must (all-MiniLM-L6-v2's ONNX into
/// text_encoder/model.safetensors); doing it ahead, while a container image is built, means the
/// read-only model folders of the running image never pay for it, and a model that does not load
/// fails the build instead of the first job.
/// </summary>
public static class ModelPreparation
{
    public const string Switch = "--prepare-models";

    /// <summary>Exit code when no model was found or one did not load.</summary>
    public const int FailureExitCode = 1;

    public static bool Requested(IEnumerable<string> args) => args.Contains(Switch, StringComparer.Ordinal);

    /// <summary>The arguments without the switch, for the host's command-line configuration.</summary>
    public static string[] WithoutSwitch(IEnumerable<string> args) => args.Where(arg => arg != Switch).ToArray();

    public static int Run(IServiceProvider services, TextWriter output, TextWriter errors)
    {
        var catalog = services.GetRequiredService<ModelCatalog>();
        var engine = services.GetRequiredService<CascadeEngine>();
        if (catalog.All.Count == 0)
        {
            errors.WriteLine("No model to prepare: no model folder was found (Models:Folders).");
            return FailureExitCode;
        }
        foreach (var model in catalog.All.OrderBy(m => m.Name, StringComparer.Ordinal))
        {
            try
            {
                engine.Preload(model.Name);
            }
            catch (GenerationRejectedException e)
            {
                errors.WriteLine($"{e.Message} (folder {model.Folder})");   // the message names the model
                return FailureExitCode;
            }
            output.WriteLine($"Prepared model '{model.Name}' ({model.Folder}).");
        }
        return 0;
    }
}
