using static TorchSharp.torch;

namespace TextToImage.Diffusion.Pipelines;

/// <summary>
/// What an image-conditioned stage keeps of a user's picture: the picture at the stage's
/// resolution, where to start in the schedule (SDEdit strength), and optionally a mask of the
/// region to repaint, with RePaint resampling.
/// </summary>
/// <param name="Original">[1, 3, R, R] float32 in [-1, 1] on the CPU: the picture at the stage's resolution.</param>
/// <param name="Mask">[1, 1, R, R] float32 in {0, 1} on the CPU, 1 = repaint; null edits the whole picture.</param>
/// <param name="Strength">0 returns <paramref name="Original"/>; 1 starts from pure noise.</param>
/// <param name="JumpLength">RePaint (Lugmayr et al. 2022): steps to go back up the schedule at each jump; 0 = off.</param>
/// <param name="JumpCount">RePaint: how many times each jump point goes back and resamples; 0 = off.</param>
internal sealed record StageGuide(Tensor Original, Tensor? Mask, double Strength, int JumpLength = 0, int JumpCount = 0)
{
    public bool Resamples => Mask is not null && JumpLength > 0 && JumpCount > 0;

    /// <summary>
    /// The index in a schedule of <paramref name="steps"/> timesteps to start from, as diffusers'
    /// img2img: int(steps · strength) steps are run, the last ones of the schedule.
    /// </summary>
    public int StartIndex(int steps) => steps - Math.Min((int)(steps * Strength), steps);
}
