using TextToImage.Diffusion.Schedules;
using TextToImage.Diffusion.IO;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace TextToImage.Diffusion.Samplers;

/// <summary>
/// A diffusers <c>scheduler_config.json</c>. A model ships one; every sampler is built from it
/// (as diffusers' <c>from_config</c> does), so a shared key means the same for all of them.
/// Defaults are diffusers'. Where diffusers' scheduler classes disagree on a default, the
/// property is nullable and null means "the sampler's own default" (noted on each).
/// Unknown keys are ignored on load.
/// </summary>
public sealed record SchedulerConfig
{
    [JsonPropertyName("_class_name")] public string? ClassName { get; init; }
    [JsonPropertyName("_diffusers_version")] public string? DiffusersVersion { get; init; }

    // The noise schedule.
    [JsonPropertyName("num_train_timesteps")] public int NumTrainTimesteps { get; init; } = 1000;
    [JsonPropertyName("beta_start")] public double BetaStart { get; init; } = 0.0001;
    [JsonPropertyName("beta_end")] public double BetaEnd { get; init; } = 0.02;

    /// <summary><c>linear</c>, <c>scaled_linear</c> or <c>squaredcos_cap_v2</c>.</summary>
    [JsonPropertyName("beta_schedule")] public string BetaSchedule { get; init; } = "linear";

    /// <summary>
    /// When set, used as β directly (its length must equal <see cref="NumTrainTimesteps"/>).
    /// Record equality compares this list by reference.
    /// </summary>
    [JsonPropertyName("trained_betas")] public IReadOnlyList<double>? TrainedBetas { get; init; }

    /// <summary>Lin et al. 2023: rescale β so the last timestep has zero signal (pair with v-prediction).</summary>
    [JsonPropertyName("rescale_betas_zero_snr")] public bool RescaleBetasZeroSnr { get; init; }

    // What the network predicts, and how x₀ is kept in range.
    /// <summary><c>epsilon</c>, <c>v_prediction</c> or <c>sample</c>.</summary>
    [JsonPropertyName("prediction_type")] public string PredictionType { get; init; } = "epsilon";

    /// <summary>
    /// DDPM's reverse-process variance: <c>fixed_small</c>, <c>fixed_small_log</c>, <c>fixed_large</c>,
    /// <c>fixed_large_log</c>, <c>learned</c>, <c>learned_range</c>. Null: <c>fixed_small</c>.
    /// </summary>
    [JsonPropertyName("variance_type")] public string? VarianceType { get; init; }

    /// <summary>Clamp predicted x₀ to ±<see cref="ClipSampleRange"/> (DDPM, DDIM; null = on, diffusers' default).
    /// DPM-Solver ignores it, as diffusers' does, which has no such option.</summary>
    [JsonPropertyName("clip_sample")] public bool? ClipSample { get; init; }

    [JsonPropertyName("clip_sample_range")] public double ClipSampleRange { get; init; } = 1.0;

    /// <summary>Imagen's dynamic thresholding of predicted x₀ (takes precedence over clipping).</summary>
    [JsonPropertyName("thresholding")] public bool Thresholding { get; init; }

    [JsonPropertyName("dynamic_thresholding_ratio")] public double DynamicThresholdingRatio { get; init; } = 0.995;
    [JsonPropertyName("sample_max_value")] public double SampleMaxValue { get; init; } = 1.0;

    // Which timesteps inference visits.
    /// <summary><c>leading</c>, <c>trailing</c> or <c>linspace</c>. Null: leading for DDPM and DDIM, linspace for DPM-Solver.</summary>
    [JsonPropertyName("timestep_spacing")] public string? TimestepSpacing { get; init; }

    [JsonPropertyName("steps_offset")] public int StepsOffset { get; init; }

    /// <summary>DDIM: ᾱ before the last step is 1 (true) or ᾱ₀ (false).</summary>
    [JsonPropertyName("set_alpha_to_one")] public bool SetAlphaToOne { get; init; } = true;

    // DPM-Solver.
    [JsonPropertyName("solver_order")] public int SolverOrder { get; init; } = 2;

    /// <summary>Only <c>dpmsolver++</c> is implemented.</summary>
    [JsonPropertyName("algorithm_type")] public string AlgorithmType { get; init; } = "dpmsolver++";

    /// <summary><c>midpoint</c> or <c>heun</c>.</summary>
    [JsonPropertyName("solver_type")] public string SolverType { get; init; } = "midpoint";

    [JsonPropertyName("lower_order_final")] public bool LowerOrderFinal { get; init; } = true;
    [JsonPropertyName("euler_at_final")] public bool EulerAtFinal { get; init; }

    /// <summary><c>zero</c> (end at σ = 0) or <c>sigma_min</c> (end at the training schedule's smallest σ).</summary>
    [JsonPropertyName("final_sigmas_type")] public string FinalSigmasType { get; init; } = "zero";

    /// <summary>DPM-Solver: space the steps by Karras et al.'s σ ramp (ρ = 7) instead of by timestep.</summary>
    [JsonPropertyName("use_karras_sigmas")] public bool UseKarrasSigmas { get; init; }

    // Other σ spacings of diffusers' DPM-Solver; not implemented, read so that asking for one fails loudly.
    [JsonPropertyName("use_exponential_sigmas")] public bool UseExponentialSigmas { get; init; }
    [JsonPropertyName("use_beta_sigmas")] public bool UseBetaSigmas { get; init; }
    [JsonPropertyName("use_lu_lambdas")] public bool UseLuLambdas { get; init; }
    [JsonPropertyName("use_flow_sigmas")] public bool UseFlowSigmas { get; init; }

    /// <summary>Timesteps whose log-SNR λ is below this are not visited. Null: −∞ (no clipping).</summary>
    [JsonPropertyName("lambda_min_clipped")]
    [JsonConverter(typeof(PythonFloatConverter))]
    public double? LambdaMinClipped { get; init; }

    static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    // Python's json writes ±Infinity and NaN as bare tokens, which are not JSON.
    static readonly Regex BarePythonFloat = new(@"(?<=[:\[,]\s*)(-?Infinity|NaN)(?=\s*[,\]\}])", RegexOptions.Compiled);

    /// <summary>Builds β from <c>trained_betas</c> or <c>beta_schedule</c> (linear, scaled_linear, squaredcos_cap_v2).</summary>
    public NoiseSchedule CreateNoiseSchedule()
    {
        var t = NumTrainTimesteps;
        if (t < 1) throw new ArgumentException($"num_train_timesteps must be positive, not {t}.", "num_train_timesteps");
        float[] betas;
        if (TrainedBetas is { } trained)
        {
            if (trained.Count != t)
                throw new ArgumentException($"trained_betas has {trained.Count} values but num_train_timesteps is {t}.");
            betas = trained.Select(b => (float)b).ToArray();
        }
        else
        {
            betas = BetaSchedule switch
            {
                "linear" => BetaSchedules.Linear(BetaStart, BetaEnd, t),
                "scaled_linear" => BetaSchedules.ScaledLinear(BetaStart, BetaEnd, t),
                "squaredcos_cap_v2" => BetaSchedules.SquaredCosCapV2(t),
                _ => throw new ArgumentException(
                    $"beta_schedule '{BetaSchedule}' is not supported; use linear, scaled_linear, squaredcos_cap_v2 or trained_betas."),
            };
        }
        if (RescaleBetasZeroSnr) betas = BetaSchedules.RescaleZeroTerminalSnr(betas);
        return new NoiseSchedule(betas);
    }

    public static SchedulerConfig Parse(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<SchedulerConfig>(BarePythonFloat.Replace(json, "\"$1\""), Options)
                   ?? throw new InvalidDataException("The scheduler config is empty (null).");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Not a valid scheduler config: {e.Message}", e);
        }
    }

    public static SchedulerConfig Load(string path)
    {
        try
        {
            return Parse(File.ReadAllText(path));
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    public string ToJson() => JsonSerializer.Serialize(this, Options);

    public void Save(string path) => AtomicFile.WriteAllText(path, ToJson() + Environment.NewLine);

    /// <summary>Reads numbers or the names Python writes for non-finite floats; writes non-finite values the way Python does.</summary>
    sealed class PythonFloatConverter : JsonConverter<double?>
    {
        public override double? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType switch
            {
                JsonTokenType.Null => null,
                JsonTokenType.Number => reader.GetDouble(),
                JsonTokenType.String => reader.GetString() switch
                {
                    "-Infinity" => double.NegativeInfinity,
                    "Infinity" => double.PositiveInfinity,
                    "NaN" => double.NaN,
                    var s => double.Parse(s!, CultureInfo.InvariantCulture),
                },
                _ => throw new JsonException($"Expected a number, not {reader.TokenType}."),
            };

        public override void Write(Utf8JsonWriter writer, double? value, JsonSerializerOptions options)
        {
            if (value is not { } v) writer.WriteNullValue();
            else if (double.IsFinite(v)) writer.WriteNumberValue(v);
            else writer.WriteRawValue(double.IsNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity", skipInputValidation: true);
        }
    }
}
