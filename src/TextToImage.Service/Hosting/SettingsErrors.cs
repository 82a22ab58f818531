using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using TextToImage.Service.Models;

namespace TextToImage.Service.Hosting;

/// <summary>
/// Runs a host's program so that a bad setting ends it with one readable line naming the key and
/// exit code 2, instead of an unhandled-exception dump an operator has to read a stack trace in.
/// </summary>
public static class SettingsErrors
{
    public const int ExitCode = 2;

    /// <param name="args">The program's arguments; <c>--prepare-models</c> (<see cref="ModelPreparation"/>) prepares the models and exits instead of serving.</param>
    /// <param name="build">Builds the host from the remaining arguments; it calls <see cref="Validate"/> before it reads any setting itself.</param>
    public static int Run(string[] args, Func<string[], IHost> build)
    {
        try
        {
            using var host = build(ModelPreparation.WithoutSwitch(args));
            if (ModelPreparation.Requested(args)) return ModelPreparation.Run(host.Services, Console.Out, Console.Error);
            host.Run();
            return 0;
        }
        catch (Exception e) when (Describe(e) is { } problem)
        {
            Console.Error.WriteLine($"The service did not start: {problem}");
            return ExitCode;
        }
    }

    /// <summary>
    /// Checks every section registered with <see cref="OptionsValidation.AddValidatedOptions{TOptions,TValidator}"/>
    /// now, so that all their problems are reported together, before the host starts (whose own
    /// check would log them with a stack trace first).
    /// </summary>
    public static void Validate(IServiceProvider services) => services.GetService<IStartupValidator>()?.Validate();

    /// <summary>The settings' problems in <paramref name="e"/>, or null when it is not about settings.</summary>
    public static string? Describe(Exception e) => e switch
    {
        OptionsValidationException invalid => string.Join("; ", invalid.Failures) + ".",
        AggregateException many when many.InnerExceptions.All(inner => Describe(inner) is not null) =>
            string.Join(" ", many.InnerExceptions.Select(inner => Describe(inner))),
        // The binder's own message names the key and the type ("Failed to convert configuration value 'x' at 'Jobs:MaxAttempts' to type 'System.Int32'").
        InvalidOperationException { InnerException: FormatException or ArgumentException or OverflowException or NotSupportedException } binding
            when binding.Message.Contains("configuration value", StringComparison.Ordinal) => $"{binding.Message} {binding.InnerException!.Message}",
        _ => null,
    };
}
