using Spectre.Console;
using TextToImage.Diffusion.Pipelines;

namespace TextToImage.Cli;

/// <summary>Turns the errors a user can cause into one readable line and exit code 1; bugs still show their stack.</summary>
static class CliErrors
{
    public static int Run(Func<int> command)
    {
        try
        {
            return command();
        }
        catch (Exception e) when (e is InvalidGenerationRequestException or ArgumentException or InvalidDataException or IOException or InvalidOperationException
                                       or UnauthorizedAccessException or NotSupportedException or SixLabors.ImageSharp.ImageFormatException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            AnsiConsole.MarkupLine("[yellow]canceled[/]");
            return 130;
        }
    }
}
