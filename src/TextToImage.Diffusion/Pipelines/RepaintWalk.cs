namespace TextToImage.Diffusion.Pipelines;

/// <summary>
/// The path of RePaint's resampling (Lugmayr et al. 2022, Algorithm 1 with jumps) over the rungs of
/// a timestep ladder: rung k holds a sample at the ladder's k-th timestep, the last rung x₀. A move
/// to k + 1 is a denoising step; a move to k − 1 re-noises one rung up (q(x_{k−1} | x_k)), so the
/// sample is denoised again there and the generated region harmonises with the known one.
/// </summary>
internal static class RepaintWalk
{
    /// <summary>
    /// The rungs visited from <paramref name="start"/> to <paramref name="end"/>. Every rung whose
    /// distance to the end is a multiple of <paramref name="jumpLength"/> (and that lies at least
    /// that far below the start) is a jump point: arrived there, the walk goes back up
    /// <paramref name="jumpLength"/> rungs and down again, <paramref name="jumpCount"/> times.
    /// </summary>
    public static IReadOnlyList<int> Rungs(int start, int end, int jumpLength, int jumpCount)
    {
        var walk = new List<int> { start };
        for (var rung = start + 1; rung <= end; rung++)
        {
            walk.Add(rung);
            if (jumpLength <= 0 || (end - rung) % jumpLength != 0 || rung - jumpLength < start) continue;
            for (var jump = 0; jump < jumpCount; jump++)
            {
                for (var up = 1; up <= jumpLength; up++) walk.Add(rung - up);
                for (var down = jumpLength - 1; down >= 0; down--) walk.Add(rung - down);
            }
        }
        return walk;
    }

    /// <summary>Denoising moves in a walk: what progress counts as steps.</summary>
    public static int DenoisingSteps(IReadOnlyList<int> walk) =>
        Enumerable.Range(1, walk.Count - 1).Count(i => walk[i] > walk[i - 1]);
}
