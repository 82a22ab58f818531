namespace TextToImage.Diffusion.Schedules;

/// <summary>What the denoising network is trained to output (diffusers' <c>prediction_type</c>).</summary>
public enum PredictionType
{
    /// <summary>The noise ε that was added (<c>"epsilon"</c>).</summary>
    Epsilon,

    /// <summary>The velocity v = √ᾱ ε − √(1−ᾱ) x₀ (<c>"v_prediction"</c>, Imagen Video §2.4).</summary>
    VPrediction,

    /// <summary>The clean sample x₀ itself (<c>"sample"</c>).</summary>
    Sample,
}

public static class PredictionTypes
{
    /// <summary>Parses diffusers' spelling; throws <see cref="ArgumentException"/> naming the valid values.</summary>
    public static PredictionType Parse(string name) => name switch
    {
        "epsilon" => PredictionType.Epsilon,
        "v_prediction" => PredictionType.VPrediction,
        "sample" => PredictionType.Sample,
        _ => throw new ArgumentException(
            $"prediction_type '{name}' is not supported; use one of: epsilon, v_prediction, sample.", nameof(name)),
    };

    public static string Name(PredictionType type) => type switch
    {
        PredictionType.Epsilon => "epsilon",
        PredictionType.VPrediction => "v_prediction",
        PredictionType.Sample => "sample",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };
}
