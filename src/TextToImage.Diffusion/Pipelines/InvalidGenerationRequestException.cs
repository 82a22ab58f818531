namespace TextToImage.Diffusion.Pipelines;

/// <summary>
/// A generation, edit or upscale request this model cannot run (a resolution it does not make, too
/// many steps, a mask of the wrong size): the caller's to fix, and the same request fails again.
/// Its own type, not <see cref="ArgumentException"/>, so that an argument error from a bug in the
/// engine or a library it calls is not taken for the caller's fault.
/// </summary>
public sealed class InvalidGenerationRequestException(string message) : Exception(message);
