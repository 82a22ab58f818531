using System.Diagnostics;
using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Networks;
using TextToImage.Diffusion.Pipelines;
using TextToImage.Diffusion.Samplers;
using TextToImage.Diffusion.Schedules;
using TextToImage.Training.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextToImage.Training.Training;

/// <summary>What the trainer reports while it runs.</summary>
public sealed record TrainingProgress(long Step, long MaxSteps, double? Loss, double SamplesPerSecond, TimeSpan? Remaining, string? Message = null);

/// <summary>
/// Trains one stage of a cascade, as imagen-pytorch does (one U-Net at a time): the stage's
/// weights in the model folder are the starting point, the run folder holds options, checkpoints,
/// the loss log and sample grids, and <see cref="Export"/> writes the EMA weights back into the
/// model folder. A run with a checkpoint continues from it exactly. Runs on the CPU in float32
/// (bf16 convolution gradients are wrong on this CPU family; fp16 training would need loss scaling).
/// </summary>
public sealed class StageTrainer : IDisposable
{
    readonly string _runFolder;
    readonly StageDefinition _stage;
    readonly UNet2DConditionModel _network;
    readonly ExponentialMovingAverage _ema;
    readonly OptimizerHelper _optimizer;
    readonly Tensor _pixels;
    readonly TextEmbeddingCache _text;
    readonly TrainingBatches _batches;
    readonly ImageFolder _data;
    readonly PredictionType _objective;
    readonly Device _device;
    readonly StageMetric? _metric;
    readonly HeldOutPromptSet? _heldOut;
    readonly IRunPictures _pictures;
    readonly Action<string>? _log;
    TrainingState _state = new(0, 0, 0);

    public StageTrainer(string runFolder, TrainingOptions options, ComputeTarget target, Action<string>? log = null, IRunPictures? pictures = null)
    {
        options.Validate();
        _runFolder = runFolder;
        _log = log;
        _pictures = pictures ?? RunPictures.Default;
        Options = options;
        _device = target.Device;
        if (options.Threads > 0) torch.set_num_threads(options.Threads);
        _stage = StageDefinition.Load(options.ModelFolder, options.Stage);
        _objective = PredictionTypes.Parse(options.Objective);
        if (_stage.NetworkConfig.OutChannels != 3)
            throw new NotSupportedException($"Stage '{options.Stage}' predicts {_stage.NetworkConfig.OutChannels} channels (a learned variance); " +
                                            "the trainer trains 3-channel epsilon or v networks only (IF's hybrid variance loss is not implemented).");

        _data = ImageFolder.Open(options.DataFolder, options.BadRows);
        foreach (var bad in _data.BadRows) log?.Invoke($"skipped {bad}");
        log?.Invoke($"data: {_data.Rows.Count} images from {_data.Folder}, at {_stage.Resolution} px");
        var bytes = _data.LoadPixels(_stage.Resolution);
        _pixels = tensor(bytes, [_data.Rows.Count, _stage.Resolution, _stage.Resolution, 3]).permute(0, 3, 1, 2).contiguous().DetachFromDisposeScope();
        _text = TextEmbeddingCache.Load(_data.Folder, _stage.TextEncoderFolder, _data.Rows.Select(r => r.Captions).ToList(), _stage.Entry.TextInput, log);
        if (options.EvalPrompts is { } promptsFile) _heldOut = HeldOutPromptSet.Load(promptsFile, _stage, _data, log);

        _network = _stage.LoadNetwork();
        _network.to(_device).train();
        _ema = new ExponentialMovingAverage(_network, options.EmaDecay);
        _optimizer = optim.AdamW(_network.parameters(), options.LearningRate, options.Beta1, options.Beta2, weight_decay: options.WeightDecay);
        AdamWMoments.MakeContiguous(_optimizer);
        _batches = new TrainingBatches(_pixels, _text, _stage.Scheduler.CreateNoiseSchedule(), _objective, options, _stage.LowResolution);

        Directory.CreateDirectory(runFolder);
        if (Checkpoint.Find(runFolder) is { } checkpoint)
        {
            _state = Checkpoint.Restore(checkpoint, _network, _ema, _optimizer);
            log?.Invoke($"resumed at step {_state.Step} from {checkpoint}");
        }
        LossLog = new LossLog(runFolder, _state.Step);
        // Only a run that measures itself (or did before: its lines past the checkpoint must go) has an eval.csv.
        if (options.EvalEvery is not null || File.Exists(StageMetric.PathIn(runFolder)))
            _metric = new StageMetric(runFolder, _state.Step, _stage, _objective, _data, _pixels, _text, _heldOut);
    }

    public TrainingOptions Options { get; }
    public TrainingState State => _state;
    public LossLog LossLog { get; }
    public UNet2DConditionModel Network => _network;

    /// <summary>Trains until <see cref="TrainingOptions.MaxSteps"/> or cancellation; checkpoints on the way and at the end.</summary>
    public TrainingState Train(Action<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        var sinceLog = new List<double>();
        var clock = Stopwatch.StartNew();
        var logClock = Stopwatch.StartNew();
        long logSamples = 0;
        var startSeconds = _state.TrainSeconds;
        var startStep = _state.Step;
        try
        {
            while (_state.Step < Options.MaxSteps && !cancellation.IsCancellationRequested)
            {
                var loss = Step();
                sinceLog.Add(loss);
                logSamples += Options.BatchSize * Options.GradientAccumulation;
                _state = new TrainingState(_state.Step + 1, _state.SamplesSeen + Options.BatchSize * Options.GradientAccumulation,
                    startSeconds + clock.Elapsed.TotalSeconds);

                var rate = logSamples / Math.Max(logClock.Elapsed.TotalSeconds, 1e-9);
                var stepsPerSecond = (_state.Step - startStep) / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                var remaining = TimeSpan.FromSeconds((Options.MaxSteps - _state.Step) / Math.Max(stepsPerSecond, 1e-9));
                progress?.Invoke(new TrainingProgress(_state.Step, Options.MaxSteps, loss, rate, remaining));

                if (_state.Step % Options.LogEvery == 0)
                {
                    LossLog.Append(new LossPoint(_state.Step, _state.SamplesSeen, sinceLog.Average(), Options.LearningRateAt(_state.Step - 1), _state.TrainSeconds, rate));
                    var lossPlot = Path.Combine(_runFolder, "loss.png");
                    TryDraw(lossPlot, () => _pictures.WriteLossCurve(lossPlot, LossLog.Points));
                    sinceLog.Clear();
                    logSamples = 0;
                    logClock.Restart();
                }
                var keep = Options.KeepEvery is { } keepEvery && _state.Step % keepEvery == 0;
                if (_state.Step % Options.CheckpointEvery == 0 || keep) SaveCheckpoint();
                if (keep)
                {
                    var kept = Checkpoint.Keep(_runFolder);   // not inside progress?.Invoke(...): without a listener its arguments are never evaluated
                    progress?.Invoke(new TrainingProgress(_state.Step, Options.MaxSteps, null, rate, remaining, $"kept: {kept}"));
                }
                // Sample grids and measurements are not training: the clocks of train_seconds, samples/s and the ETA stop for them.
                clock.Stop();
                logClock.Stop();
                if (_state.Step % Options.SampleEvery == 0)
                {
                    if (TryDraw(SamplesPath(), () => WriteSamples()))
                        progress?.Invoke(new TrainingProgress(_state.Step, Options.MaxSteps, null, rate, remaining, $"samples: {SamplesPath()}"));
                }
                if (Options.EvalEvery is { } every && _state.Step % every == 0)
                {
                    IReadOnlyList<string> lines;
                    try { lines = Evaluate(cancellation); }
                    catch (OperationCanceledException) when (cancellation.IsCancellationRequested) { break; }   // Ctrl-C mid-measurement: stop as between steps
                    foreach (var line in lines) progress?.Invoke(new TrainingProgress(_state.Step, Options.MaxSteps, null, rate, remaining, line));
                }
                clock.Start();
                logClock.Start();
            }
        }
        finally
        {
            // Ctrl-C, the end, or an error after some steps: what was trained is kept.
            if (Checkpoint.Find(_runFolder) is not { } saved || Checkpoint.ReadState(saved).Step != _state.Step) SaveCheckpoint();
        }
        return _state;
    }

    /// <summary>One optimiser step (all its micro-batches); returns the mean weighted loss.</summary>
    double Step()
    {
        using var finalizers = FinalizerGate.Hold();
        using var scope = NewDisposeScope();
        using var random = new StepRandom(Options.Seed, _state.Step);
        _optimizer.zero_grad();
        double total = 0;
        for (var micro = 0; micro < Options.GradientAccumulation; micro++)
        {
            using var microScope = NewDisposeScope();
            var loss = Loss(_batches.Next(random, Options.BatchSize)) / Options.GradientAccumulation;
            loss.backward();
            total += loss.item<float>();
        }
        nn.utils.clip_grad_norm_(_network.parameters(), Options.GradientClip);
        foreach (var group in _optimizer.ParamGroups) group.LearningRate = Options.LearningRateAt(_state.Step);
        _optimizer.step();
        _ema.Update(_state.Step);
        return total;
    }

    /// <summary>
    /// The weighted loss of the live weights on one fixed batch (drawn from <paramref name="seed"/>,
    /// not from the run's stream), without a gradient: comparable across steps and runs.
    /// </summary>
    public double EvaluateLoss(long seed, int batchSize)
    {
        using var finalizers = FinalizerGate.Hold();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var random = new StepRandom(seed, 0);
        var batch = _batches.Next(random, batchSize);
        return Loss(batch).item<float>();
    }

    Tensor Loss(TrainingBatch batch)
    {
        var output = _network.forward(batch.Input.to(_device), batch.Timesteps.to(_device), batch.States.to(_device),
            batch.Mask.to(_device), batch.ClassLabels?.to(_device));
        var perSample = (output - batch.Target.to(_device)).pow(2).mean([1, 2, 3]);
        return (perSample * batch.LossWeights.to(_device)).mean();
    }

    public void SaveCheckpoint()
    {
        using var finalizers = FinalizerGate.Hold();
        Checkpoint.Save(_runFolder, _network, _ema, _optimizer, _state);
    }

    /// <summary>
    /// Draws a picture of the run; a failure (a graphics library that will not load, a full disk) is
    /// logged and the run goes on: a picture is never worth the training behind it.
    /// </summary>
    bool TryDraw(string what, Action draw)
    {
        try
        {
            draw();
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _log?.Invoke($"step {_state.Step}: could not draw {what} ({e.GetType().Name}: {e.Message}); training goes on");
            return false;
        }
    }

    string SamplesPath() => Path.Combine(_runFolder, "samples", $"step-{_state.Step:D7}.png");

    /// <summary>Writes a sample grid of the EMA weights; returns its path.</summary>
    public string WriteSamples()
    {
        using var finalizers = FinalizerGate.Hold();
        var path = SamplesPath();
        using var network = _stage.NewNetwork(_ema.Average);
        _pictures.WriteSampleGrid(path, _stage, network, _objective, _data, _pixels, _text, Options);
        return path;
    }

    /// <summary>Measures the EMA weights into <c>eval.csv</c> (and <c>eval-prompts.csv</c>; <see cref="StageMetric"/>); returns "file: line" for each.</summary>
    IReadOnlyList<string> Evaluate(CancellationToken cancellation)
    {
        using var finalizers = FinalizerGate.Hold();
        using var network = _stage.NewNetwork(_ema.Average);
        return _metric!.Measure(network, _state, Options.EvalCount, cancellation);   // called only when EvalEvery is set
    }

    /// <summary>
    /// Writes the EMA weights of the last checkpoint (or of the one kept at <paramref name="step"/>) into the model
    /// folder's stage, with the objective's prediction type.
    /// </summary>
    public static void Export(string runFolder, TrainingOptions options, ScalarType dtype, long? step = null)
    {
        var checkpoint = step is { } kept ? Checkpoint.FindKept(runFolder, kept)
            : Checkpoint.Find(runFolder) ?? throw new InvalidOperationException($"{runFolder} has no checkpoint to export.");
        var stage = StageDefinition.Load(options.ModelFolder, options.Stage);
        var ema = Checkpoint.LoadEma(checkpoint);
        try
        {
            using var network = stage.NewNetwork(ema);
            var state = Checkpoint.ReadState(checkpoint);
            stage.Save(network, options.Objective, dtype, new Dictionary<string, string>
            {
                ["format"] = "pt",
                ["stage"] = options.Stage,
                ["training_steps"] = state.Step.ToString(),
                ["training_samples"] = state.SamplesSeen.ToString(),
            });
        }
        finally
        {
            foreach (var tensor in ema.Values) tensor.Dispose();
        }
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _ema.Dispose();
        _network.Dispose();
        _pixels.Dispose();
        _text.Dispose();
        _heldOut?.Dispose();
    }
}
