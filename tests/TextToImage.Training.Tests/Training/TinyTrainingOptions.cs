using TextToImage.Training.Training;

namespace TextToImage.Training.Tests.Training;

/// <summary>Short, frequent-logging training options for the <see cref="TinyTrainingSetup"/>'s model and data.</summary>
static class TinyTrainingOptions
{
    public static TrainingOptions Options(this TinyTrainingSetup setup, string stage = "base", int steps = 6) => new()
    {
        ModelFolder = setup.Model,
        Stage = stage,
        DataFolder = setup.Data(stage == "base" ? 16 : 32),
        MaxSteps = steps,
        BatchSize = 4,
        WarmupSteps = 2,
        LogEvery = 2,
        CheckpointEvery = 3,
        SampleEvery = 1000,
        Seed = 1,
    };
}
