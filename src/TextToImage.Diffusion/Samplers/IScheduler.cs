using TextToImage.Diffusion.Schedules;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Samplers;

/// <summary>One reverse step: x_{t−1}, and the x₀ the step was based on (after clipping or thresholding).</summary>
public sealed record SchedulerStepOutput(Tensor PrevSample, Tensor PredOriginalSample);

/// <summary>
/// A sampler that walks the reverse process over <see cref="Timesteps"/>. Call
/// <see cref="SetTimesteps(int)"/> first, then <see cref="Step"/> once per timestep, in order.
/// Tensors a step returns belong to the caller's current dispose scope; state a scheduler keeps
/// between steps is its own and is freed by <see cref="IDisposable.Dispose"/>.
/// </summary>
public interface IScheduler : IDisposable
{
    SchedulerConfig Config { get; }
    NoiseSchedule Schedule { get; }

    /// <summary>The training timesteps inference visits, in descending order.</summary>
    IReadOnlyList<int> Timesteps { get; }

    /// <summary>Spaces <paramref name="numInferenceSteps"/> timesteps over the training range per <c>timestep_spacing</c>.</summary>
    void SetTimesteps(int numInferenceSteps);

    /// <summary>Visits exactly these timesteps (strictly descending, within the training range).</summary>
    void SetTimesteps(IReadOnlyList<int> customTimesteps);

    /// <summary>
    /// Steps from x_t to x_{t−1}. <paramref name="modelOutput"/> may carry a predicted variance in a
    /// second half of its channels (twice the sample's channels). <paramref name="noise"/> is used
    /// by stochastic steps; null means the global generator.
    /// </summary>
    SchedulerStepOutput Step(Tensor modelOutput, int timestep, Tensor sample, NoiseSource? noise = null);

    /// <summary>
    /// Keeps only these batch rows of the state carried between steps (a multistep sampler's history), when
    /// the sample drops rows mid-walk (a caller of a shared batch cancelled). Stateless samplers keep nothing.
    /// </summary>
    void KeepRows(long[] rows);

    /// <summary>q(x_t | x_0) for per-row timesteps; see <see cref="NoiseSchedule.AddNoise"/>.</summary>
    Tensor AddNoise(Tensor original, Tensor noise, Tensor timesteps);
}
