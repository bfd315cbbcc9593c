using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Recur.Data;
using Recur.Interop;
using Recur.Layers;
using Recur.Models;
using Recur.Training;

namespace Recur.Tasks;

/// <summary>How a char model is trained. Stop conditions: <see cref="Epochs"/>, <see cref="MaxSteps"/> (updates),
/// <see cref="Minutes"/> (training wall-clock, validation excluded) — whichever comes first; at least one must be set.</summary>
public sealed record CharLmTrainingOptions
{
    public int Batch { get; init; } = 64;
    public int Seq { get; init; } = 32;
    /// <summary>k1: forward steps per update (0: the whole <see cref="Seq"/>). A batch of Seq steps is cut into windows of k1.</summary>
    public int Tbptt { get; init; }
    /// <summary>k2 ≤ k1: steps of each window that get a loss and a backward pass; the first k1 − k2 steps only advance the state (0: k2 = k1).</summary>
    public int TbpttBack { get; init; }
    public OptimizerOptions Optimizer { get; init; } = new();
    public LearningRateSchedule Schedule { get; init; } = new(ScheduleKind.Cosine, 1e-2f, 1e-3f);
    /// <summary>Global-norm clipping threshold (0: off).</summary>
    public double ClipNorm { get; init; } = 1;
    /// <summary>Clipping by value (0: off).</summary>
    public float ClipValue { get; init; }
    /// <summary>λ of the Pascanu Ω regulariser (0: off; rnn cells, split layers).</summary>
    public float Omega { get; init; }
    public int Epochs { get; init; }
    public long MaxSteps { get; init; }
    public double Minutes { get; init; }
    /// <summary>Validate (and checkpoint) every N updates (0: only at the end).</summary>
    public int ValEvery { get; init; } = 500;
    /// <summary>Early stopping: stop after this many validations without a new best (0: off).</summary>
    public int Patience { get; init; }
    public ulong Seed { get; init; } = 1;

    public int WindowSteps => Tbptt > 0 ? Math.Min(Tbptt, Seq) : Seq;

    public void Validate()
    {
        if (Batch < 1) throw new ArgumentException($"batch must be ≥ 1, got {Batch}");
        if (Seq < 1) throw new ArgumentException($"seq must be ≥ 1, got {Seq}");
        if (Tbptt < 0 || TbpttBack < 0) throw new ArgumentException("tbptt steps must be ≥ 0");
        if (TbpttBack > WindowSteps) throw new ArgumentException($"k2 ({TbpttBack}) cannot exceed k1 ({WindowSteps})");
        if (Epochs < 0 || MaxSteps < 0 || Minutes < 0) throw new ArgumentException("epochs, steps and minutes must be ≥ 0");
        if (Epochs == 0 && MaxSteps == 0 && Minutes == 0) throw new ArgumentException("set a stop condition: epochs, steps or minutes");
        if (ClipNorm < 0 || ClipValue < 0 || Omega < 0) throw new ArgumentException("clip and omega must be ≥ 0");
        if (ValEvery < 0 || Patience < 0) throw new ArgumentException("val-every and patience must be ≥ 0");
        Schedule.Validate();
    }
}

/// <summary>One point of the learning curve (bits per character).</summary>
public sealed record TrainingPoint(long Step, long Tokens, double Seconds, double TrainBpc, double ValBpc);

public enum TrainingEventKind { Progress, Validation }

/// <summary>What the trainer reports while it runs (progress bars, logs). Seconds are training time (validation excluded).</summary>
public sealed record TrainingEvent(TrainingEventKind Kind, long Step, int Epoch, long Tokens, double Seconds, double TokensPerSecond,
    double TrainBpc, double? ValBpc, double Fraction, double? EtaSeconds, float LearningRate);

public sealed record TrainingSummary(long Steps, int Epoch, long Tokens, double Seconds, double TokensPerSecond,
    double TrainBpc, double ValBpc, double BestValBpc, string StopReason);

/// <summary>The loss became NaN or infinite: training stopped at <see cref="Step"/>; the last checkpoint written is kept.</summary>
public sealed class TrainingDivergedException(long step, string message) : Exception(message)
{
    public long Step { get; } = step;
}

/// <summary>
/// Trains a <see cref="CharLmModel"/> on text, statefully (DESIGN.md §3): the training ids are cut into B parallel
/// streams (<see cref="TextStreams"/>), each update reads the next window of every stream, the recurrent state is
/// carried from window to window and detached at the window's start (truncated BPTT). Validation runs the whole
/// validation slice from a zero state. Seeded and reproducible: the same seed and thread count give the same
/// losses, and a resumed checkpoint continues exactly as the uninterrupted run.
/// <para><see cref="TrainWindow"/> is one update without I/O (for benchmarks); <see cref="Run"/> is the loop.</para>
/// </summary>
public sealed class CharLmTrainer
{
    private static readonly JsonSerializerOptions Json = new(ModelFile.Json)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    private readonly int[] _train, _val;
    private readonly TextStreams _streams;
    private readonly SequentialState _state;
    private readonly Optimizer _optimizer;
    private readonly List<Parameter> _params;
    private readonly PascanuRegularizer? _omega;
    private readonly Rng _rng;
    private readonly int[] _inputs, _targets;
    private readonly List<TrainingPoint> _history = [];
    private bool _batchLoaded;
    private int _batch, _window;
    private volatile bool _stopRequested;
    private long _lastCheckpointStep = -1;
    private double _bestVal = double.PositiveInfinity;
    private int _sinceBest;

    public CharLmModel Model { get; }
    public CharLmTrainingOptions Options { get; }
    public string? CheckpointPath { get; set; }
    /// <summary>Updates done.</summary>
    public long Step { get; private set; }
    public int Epoch { get; private set; }
    public long Tokens { get; private set; }
    /// <summary>Training seconds so far (validation excluded), across resumes.</summary>
    public double Seconds { get; private set; }
    public float LastLearningRate { get; private set; }
    public double LastGradNorm { get; private set; }
    public IReadOnlyList<TrainingPoint> History => _history;
    public int WindowsPerBatch => (Options.Seq + Options.WindowSteps - 1) / Options.WindowSteps;
    public TextStreams Streams => _streams;

    public CharLmTrainer(CharLmModel model, int[] train, int[] validation, CharLmTrainingOptions options, string? checkpointPath = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options.Validate();
        if (options.Omega > 0)
        {
            PascanuRegularizer.CheckCell(model.Config.CellType);
            if (!model.Network.Options.Split) throw new ArgumentException("the Ω regulariser needs a model built with split layers (CharLmConfig.SplitLayers)");
            _omega = new PascanuRegularizer(options.Omega);
        }
        if (validation.Length < 2) throw new ArgumentException($"the validation slice needs at least 2 characters, has {validation.Length}");
        Model = model;
        Options = options;
        CheckpointPath = checkpointPath;
        _train = train;
        _val = validation;
        _streams = new TextStreams(train, options.Batch, options.Seq);
        _state = model.Network.CreateState(options.Batch);
        _params = model.Network.Parameters.ToList();
        var opt = options.Optimizer;
        _optimizer = Optimizer.Create(model.Network.NamedParameters, opt);
        _rng = new Rng(options.Seed ^ 0x5DEECE66DUL);
        _inputs = new int[options.Seq * options.Batch];
        _targets = new int[options.Seq * options.Batch];
    }

    /// <summary>Updates in the whole run when known (epochs or steps), else 0.</summary>
    public long TotalSteps
    {
        get
        {
            long byEpochs = Options.Epochs > 0 ? (long)Options.Epochs * _streams.BatchesPerEpoch * WindowsPerBatch : long.MaxValue;
            long bySteps = Options.MaxSteps > 0 ? Options.MaxSteps : long.MaxValue;
            long t = Math.Min(byEpochs, bySteps);
            return t == long.MaxValue ? 0 : t;
        }
    }

    /// <summary>Fraction of the run done ∈ [0, 1]: by updates, by wall clock, whichever is further.</summary>
    public double Fraction
    {
        get
        {
            double f = 0;
            long total = TotalSteps;
            if (total > 0) f = (double)Step / total;
            if (Options.Minutes > 0) f = Math.Max(f, Seconds / (Options.Minutes * 60));
            return Math.Clamp(f, 0, 1);
        }
    }

    private double ScheduleProgress()
    {
        long total = TotalSteps;
        double p = total > 0 ? Options.Schedule.ProgressBySteps(Step, total) : 0;
        if (Options.Minutes > 0) p = Math.Max(p, Seconds / (Options.Minutes * 60));
        return p;
    }

    /// <summary>When &gt; 0, <see cref="Run"/> stops (and checkpoints) once this many updates are done, without
    /// changing the schedule's notion of the whole run (a pause, to be resumed).</summary>
    public long PauseAtStep { get; set; }

    /// <summary>Asks <see cref="Run"/> to stop after the current update (it checkpoints first). Thread-safe.</summary>
    public void RequestStop() => _stopRequested = true;

    /// <summary>
    /// One update on a window <c>[T, B]</c> (time-major ids) continuing the carried state: forward, fused softmax
    /// cross-entropy over all T·B rows, BPTT, Ω, clipping, optimizer step at the scheduled rate. Returns the mean loss
    /// (nats/char); a non-finite loss returns before any parameter changes.
    /// </summary>
    public double TrainWindow(ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets, int T)
    {
        var net = Model.Network;
        int V = net.Options.OutputSize;
        net.ZeroGrad();
        var logits = net.Forward(inputs, T, Options.Batch, _state, training: true, _rng);
        double loss = SoftmaxCrossEntropy.ForwardBackward(logits, targets, V, logits);
        if (!double.IsFinite(loss)) return loss;
        net.Backward(logits, _omega);
        if (Options.ClipValue > 0) GradientClipping.ClipByValue(_params, Options.ClipValue);
        LastGradNorm = Options.ClipNorm > 0 ? GradientClipping.ClipByGlobalNorm(_params, Options.ClipNorm) : double.NaN;
        LastLearningRate = Options.Schedule.Rate(Step, ScheduleProgress());
        _optimizer.Step(LastLearningRate);
        Step++;
        Tokens += (long)T * Options.Batch;
        return loss;
    }

    /// <summary>The next update of the run: loads the next batch when needed, handles k1/k2, advances the position.</summary>
    public double StepNext()
    {
        int B = Options.Batch, K = Options.WindowSteps;
        if (!_batchLoaded)
        {
            _streams.GetBatch(_batch, _inputs, _targets);
            _batchLoaded = true;
        }
        int t0 = _window * K, Tw = Math.Min(K, Options.Seq - t0);
        int back = Options.TbpttBack > 0 ? Math.Min(Options.TbpttBack, Tw) : Tw;
        int burn = Tw - back;
        if (burn > 0) Model.Network.Forward(_inputs.AsSpan(t0 * B, burn * B), burn, B, _state, training: false);
        double loss = TrainWindow(_inputs.AsSpan((t0 + burn) * B, back * B), _targets.AsSpan((t0 + burn) * B, back * B), back);
        if (!double.IsFinite(loss)) return loss;
        if (++_window == WindowsPerBatch)
        {
            _window = 0;
            _batchLoaded = false;
            if (++_batch == _streams.BatchesPerEpoch)
            {
                _batch = 0;
                Epoch++;
                _state.Reset();   // a new pass over the streams starts from zero
            }
        }
        return loss;
    }

    /// <summary>Validation loss in bits/char over the whole validation slice, from a zero state (the training state is untouched).</summary>
    public double Validate() => CharLmEvaluator.ToBits(CharLmEvaluator.MeanNats(Model.Network, _val));

    /// <summary>Runs until a stop condition; validates and checkpoints every <see cref="CharLmTrainingOptions.ValEvery"/>
    /// updates and at the end. A NaN/∞ loss throws <see cref="TrainingDivergedException"/> without writing.</summary>
    public TrainingSummary Run(Action<TrainingEvent>? onEvent = null)
    {
        var sw = new Stopwatch();
        double baseSeconds = Seconds, lastEvent = 0, lossSum = 0;
        long lossCount = 0, lastValStep = -1, startStep = Step, startTokens = Tokens;
        double lastTrainBpc = double.NaN, lastValBpc = double.NaN;
        string reason;
        sw.Start();
        while (true)
        {
            Seconds = baseSeconds + sw.Elapsed.TotalSeconds;
            if (Options.MaxSteps > 0 && Step >= Options.MaxSteps) { reason = "steps"; break; }
            if (Options.Epochs > 0 && Epoch >= Options.Epochs) { reason = "epochs"; break; }
            if (Options.Minutes > 0 && Seconds >= Options.Minutes * 60) { reason = "time"; break; }
            if (_stopRequested || (PauseAtStep > 0 && Step >= PauseAtStep)) { reason = "stopped"; break; }

            double loss = StepNext();
            if (!double.IsFinite(loss)) throw Diverged(Step + 1, "training loss", loss);
            lossSum += loss;
            lossCount++;
            Seconds = baseSeconds + sw.Elapsed.TotalSeconds;
            if (onEvent is not null && Seconds - lastEvent >= 0.25)
            {
                lastEvent = Seconds;
                onEvent(MakeEvent(TrainingEventKind.Progress, CharLmEvaluator.ToBits(lossSum / lossCount), null, startStep, startTokens, sw.Elapsed.TotalSeconds));
            }
            if (Options.ValEvery > 0 && Step % Options.ValEvery == 0)
            {
                sw.Stop();
                (lastTrainBpc, lastValBpc) = ValidateAndSave(lossSum, lossCount, onEvent, startStep, startTokens, sw.Elapsed.TotalSeconds);
                lossSum = 0;
                lossCount = 0;
                lastValStep = Step;
                sw.Start();
                if (Options.Patience > 0 && _sinceBest >= Options.Patience) { reason = "early-stop"; break; }
            }
        }
        sw.Stop();
        Seconds = baseSeconds + sw.Elapsed.TotalSeconds;
        if (lastValStep != Step || double.IsNaN(lastValBpc))
            (lastTrainBpc, lastValBpc) = ValidateAndSave(lossSum, lossCount, onEvent, startStep, startTokens, sw.Elapsed.TotalSeconds);
        double secs = sw.Elapsed.TotalSeconds;
        return new TrainingSummary(Step, Epoch, Tokens, Seconds, secs > 0 ? (Tokens - startTokens) / secs : 0,
            lastTrainBpc, lastValBpc, _bestVal, reason);
    }

    private (double Train, double Val) ValidateAndSave(double lossSum, long lossCount, Action<TrainingEvent>? onEvent, long startStep, long startTokens, double runSeconds)
    {
        double train = lossCount > 0 ? CharLmEvaluator.ToBits(lossSum / lossCount) : (_history.Count > 0 ? _history[^1].TrainBpc : double.NaN);
        double val = Validate();
        if (!double.IsFinite(val)) throw Diverged(Step, "validation loss", val);
        _history.Add(new TrainingPoint(Step, Tokens, Seconds, train, val));
        if (val < _bestVal) { _bestVal = val; _sinceBest = 0; } else _sinceBest++;
        if (CheckpointPath is not null)
        {
            SaveCheckpoint(CheckpointPath);
            _lastCheckpointStep = Step;
        }
        onEvent?.Invoke(MakeEvent(TrainingEventKind.Validation, train, val, startStep, startTokens, runSeconds));
        return (train, val);
    }

    private TrainingDivergedException Diverged(long step, string what, double value)
    {
        string kept = _lastCheckpointStep >= 0
            ? $"the last good checkpoint {CheckpointPath} (step {_lastCheckpointStep}) is kept"
            : "no checkpoint had been written yet";
        return new TrainingDivergedException(step, $"the {what} became {(double.IsNaN(value) ? "NaN" : value > 0 ? "+infinity" : "-infinity")} at step {step}; stopped ({kept}). Try a lower --lr or --clip.");
    }

    private TrainingEvent MakeEvent(TrainingEventKind kind, double trainBpc, double? valBpc, long startStep, long startTokens, double runSeconds)
    {
        double tps = runSeconds > 0 ? (Tokens - startTokens) / runSeconds : 0;
        double? eta = null;
        double stepsPerSec = runSeconds > 0 ? (Step - startStep) / runSeconds : 0;
        long total = TotalSteps;
        if (total > 0 && stepsPerSec > 0) eta = (total - Step) / stepsPerSec;
        if (Options.Minutes > 0) eta = Math.Min(eta ?? double.MaxValue, Math.Max(0, Options.Minutes * 60 - Seconds));
        return new TrainingEvent(kind, Step, Epoch, Tokens, Seconds, tps, trainBpc, valBpc, Fraction, eta, LastLearningRate);
    }

    // ---------------------------------------------------------------- checkpoints

    /// <summary>Writes model + optimizer state + carried state + <c>recur.trainer</c> atomically to <paramref name="path"/>.</summary>
    public void SaveCheckpoint(string path)
    {
        var meta = new JsonObject
        {
            ["step"] = Step,
            ["epoch"] = Epoch,
            ["batch"] = _batch,
            ["window"] = _window,
            ["tokens"] = Tokens,
            ["seconds"] = Seconds,
            ["rng"] = _rng.SaveState(),
            ["optimizer_steps"] = _optimizer.StepCount,
            ["best_val_bpc"] = double.IsFinite(_bestVal) ? _bestVal : null,
            ["since_best"] = _sinceBest,
            ["train_chars"] = _train.Length,
            ["val_chars"] = _val.Length,
            ["options"] = JsonSerializer.SerializeToNode(Options, Json),
            ["history"] = JsonSerializer.SerializeToNode(_history, Json),
        };
        var extra = _optimizer.State.Select(s => ("optim." + s.Name, s.Value))
            .Concat(_state.Named().Select(s => ("trainer.state." + s.Name, s.Value)));
        Model.Save(path, extra, meta.ToJsonString());
    }

    /// <summary>Reads the training options stored in a checkpoint (to rebuild the data split before <see cref="Resume"/>).</summary>
    public static CharLmTrainingOptions ReadOptions(SafetensorsFile file, string path)
    {
        var meta = CharLmModel.TrainerMetadata(file) ?? throw new InvalidDataException($"{path}: a model without training state (no recur.trainer): not a checkpoint");
        try
        {
            return meta["options"].Deserialize<CharLmTrainingOptions>(Json) ?? throw new InvalidDataException($"{path}: recur.trainer has no options");
        }
        catch (JsonException e) { throw new InvalidDataException($"{path}: recur.trainer options are malformed: {e.Message}"); }
    }

    /// <summary>Continues the run saved in <paramref name="path"/> on the same data (the same train/validation ids).
    /// <paramref name="overrides"/> may change the stop conditions and validation cadence.</summary>
    public static CharLmTrainer Resume(string path, int[] train, int[] validation, Func<CharLmTrainingOptions, CharLmTrainingOptions>? overrides = null)
    {
        var (model, file) = CharLmModel.LoadWithFile(path);
        var meta = CharLmModel.TrainerMetadata(file) ?? throw new InvalidDataException($"{path}: a model without training state (no recur.trainer): not a checkpoint");
        var options = ReadOptions(file, path);
        if (overrides is not null) options = overrides(options);
        long trainChars = meta["train_chars"]?.GetValue<long>() ?? -1, valChars = meta["val_chars"]?.GetValue<long>() ?? -1;
        if (trainChars != train.Length || valChars != validation.Length)
            throw new InvalidDataException($"{path}: the checkpoint was trained on {trainChars} + {valChars} characters (train + validation), this data has {train.Length} + {validation.Length}: resume with the same --data and --val-fraction");
        var t = new CharLmTrainer(model, train, validation, options, path);
        try
        {
            t.Step = meta["step"]!.GetValue<long>();
            t.Epoch = meta["epoch"]!.GetValue<int>();
            t._batch = meta["batch"]!.GetValue<int>();
            t._window = meta["window"]!.GetValue<int>();
            t.Tokens = meta["tokens"]!.GetValue<long>();
            t.Seconds = meta["seconds"]!.GetValue<double>();
            t._rng.RestoreState(meta["rng"]!.GetValue<string>());
            t._optimizer.StepCount = meta["optimizer_steps"]!.GetValue<long>();
            t._bestVal = meta["best_val_bpc"]?.GetValue<double>() ?? double.PositiveInfinity;
            t._sinceBest = meta["since_best"]!.GetValue<int>();
            t._history.AddRange(meta["history"].Deserialize<List<TrainingPoint>>(Json) ?? []);
        }
        catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException or JsonException)
        {
            throw new InvalidDataException($"{path}: recur.trainer is incomplete or malformed");
        }
        if (t._batch >= t._streams.BatchesPerEpoch || t._window >= t.WindowsPerBatch)
            throw new InvalidDataException($"{path}: the saved position (batch {t._batch}, window {t._window}) does not fit this data");
        foreach (var (name, value) in t._optimizer.State) ModelFile.LoadInto(file, "optim." + name, value, path);
        foreach (var (name, value) in t._state.Named()) ModelFile.LoadInto(file, "trainer.state." + name, value, path);
        t._lastCheckpointStep = t.Step;
        return t;
    }
}
