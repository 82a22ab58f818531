using TextToImage.Diffusion.Networks;
using TextToImage.Diffusion.Schedules;
using TextToImage.Training.Data;
using static TorchSharp.torch;

namespace TextToImage.Training.Training;

/// <summary>
/// The pictures a training run draws of itself: <c>loss.png</c> and the sample grids. They are for
/// people watching the run; the trainer logs a failure to draw one and trains on.
/// </summary>
public interface IRunPictures
{
    void WriteLossCurve(string path, IReadOnlyList<LossPoint> points);

    void WriteSampleGrid(string path, StageDefinition stage, UNet2DConditionModel network, PredictionType objective,
        ImageFolder data, Tensor pixels, TextEmbeddingCache text, TrainingOptions options);
}

/// <summary>The pictures as <see cref="LossCurvePlot"/> and <see cref="SampleGrid"/> draw them.</summary>
public sealed class RunPictures : IRunPictures
{
    public static readonly RunPictures Default = new();

    public void WriteLossCurve(string path, IReadOnlyList<LossPoint> points) => LossCurvePlot.Write(path, points);

    public void WriteSampleGrid(string path, StageDefinition stage, UNet2DConditionModel network, PredictionType objective,
        ImageFolder data, Tensor pixels, TextEmbeddingCache text, TrainingOptions options) =>
        SampleGrid.Write(path, stage, network, objective, data, pixels, text, options);
}
