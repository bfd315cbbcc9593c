using System.Diagnostics;
using Recur.Diagnostics;
using Recur.Layers;
using Recur.Tensors;
using Recur.Training;

namespace Recur.Tasks;

/// <summary>
/// Trains a one-layer recurrent model with a dense head on a <see cref="SyntheticTask"/>: every update draws a fresh
/// batch from the generator; a fixed held-out set (its own seed) is evaluated every
/// <see cref="SyntheticTaskOptions.EvalEvery"/> updates. Records the learning curve, the first step and training time
/// at which the held-out criterion is met, and stops on a NaN/∞ loss or gradient norm (before the parameters change).
/// </summary>
public sealed class SyntheticTaskTrainer
{
    private readonly Rng _rng;
    private readonly Optimizer _optimizer;
    private readonly List<Parameter> _params;
    private readonly List<SyntheticBatch> _heldOut = [];
    private readonly List<TaskPoint> _curve = [];
    private float[] _grad = [];

    public SyntheticTask Task { get; }
    public SyntheticTaskOptions Options { get; }
    public Sequential Model { get; }
    /// <summary>Records gradient flow during training when <see cref="SyntheticTaskOptions.GradientFlowEvery"/> &gt; 0.</summary>
    public GradientFlowMonitor? Monitor { get; }
    public long Step { get; private set; }
    public IReadOnlyList<TaskPoint> Curve => _curve;

    public SyntheticTaskTrainer(SyntheticTask task, SyntheticTaskOptions options)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Task = task;
        Options = options;
        var init = new Rng(options.Seed);
        Model = new Sequential(new SequentialOptions(options.Cell, task.InputSize, options.Hidden, 1, task.OutputSize), init);
        var rnn = Model.Rnn[0];
        Initializers.Initialize(rnn, options.EffectiveInit, init, options.ForgetBias, chronoMaxT: Math.Max(3, task.Steps));
        if (options.RecurrentScale is { } scale) RecurrentSpectrum.RescaleRecurrent(rnn, scale);
        _params = Model.Parameters.ToList();
        _optimizer = Optimizer.Create(Model.NamedParameters, new OptimizerOptions(options.Optimizer));
        _rng = new Rng(options.Seed * 0x9E3779B97F4A7C15UL + 11);

        var heldRng = new Rng(0xC0FFEEUL + (ulong)task.Steps);   // the same held-out set for every seed
        for (int left = options.HeldOut; left > 0; left -= options.Batch)
            _heldOut.Add(task.Generate(Math.Min(options.Batch, left), heldRng));
        if (options.GradientFlowEvery > 0)
        {
            var probe = _heldOut[0];
            Monitor = new GradientFlowMonitor(rnn, new Tensor(probe.Inputs, probe.T, probe.B, task.InputSize), options.GradientFlowEvery);
        }
    }

    /// <summary>One update on <paramref name="batch"/>: forward in windows of K (carried, detached state), loss on the
    /// target steps, BPTT per window with gradients summed, clipping, optimizer step. Returns the mean loss; a NaN/∞
    /// loss or gradient norm returns before the parameters change (see <paramref name="divergence"/>).</summary>
    public double TrainBatch(SyntheticBatch batch, out string? divergence)
    {
        divergence = null;
        Model.ZeroGrad();
        double loss = RunWindows(batch, backward: true, null);
        if (!double.IsFinite(loss))
        {
            divergence = $"loss is {Describe(loss)} at update {Step + 1}";
            return loss;
        }
        double norm = Options.ClipNorm > 0 ? GradientClipping.ClipByGlobalNorm(_params, Options.ClipNorm) : GradientClipping.GlobalNorm(_params);
        if (!double.IsFinite(norm))
        {
            divergence = $"gradient norm is {Describe(norm)} at update {Step + 1} (loss {loss:G3})";
            return loss;
        }
        _optimizer.Step(Options.EffectiveLearningRate);
        Step++;
        return loss;
    }

    /// <summary>Held-out loss and metric (averaged over the held-out chunks, weighted by size).</summary>
    public (double Loss, double Metric) Evaluate()
    {
        double loss = 0, metric = 0;
        int n = 0;
        foreach (var b in _heldOut)
        {
            double m = 0;
            double l = RunWindows(b, backward: false, (outputs, lossValue) => m = Task.Metric(outputs, b, lossValue));
            loss += l * b.B;
            metric += m * b.B;
            n += b.B;
        }
        return (loss / n, metric / n);
    }

    /// <summary>Runs until solved (unless KeepGoing), the budget ends, or the loss diverges. <paramref name="onEvaluation"/>
    /// sees every held-out point as it is made.</summary>
    public SyntheticTaskResult Run(Action<TaskPoint>? onEvaluation = null)
    {
        var wall = Stopwatch.StartNew();
        var train = new Stopwatch();
        double budget = Options.Minutes > 0 ? Options.Minutes * 60 : double.PositiveInfinity;
        long maxSteps = Options.MaxSteps > 0 ? Options.MaxSteps : long.MaxValue;
        double lossSum = 0;
        int lossCount = 0;
        long? solvedStep = null;
        double? solvedSeconds = null;
        string? divergence = null;
        string reason;

        Monitor?.Record(0);
        Record(double.NaN);
        while (true)
        {
            if (Step >= maxSteps) { reason = "steps"; break; }
            if (train.Elapsed.TotalSeconds >= budget) { reason = "time"; break; }
            train.Start();
            var batch = Task.Generate(Options.Batch, _rng);
            double loss = TrainBatch(batch, out divergence);
            train.Stop();
            if (divergence is not null) { reason = "diverged"; break; }
            lossSum += loss;
            lossCount++;
            Monitor?.AfterStep(Step);
            if (Step % Options.EvalEvery == 0)
            {
                var p = Record(lossSum / lossCount);
                lossSum = 0;
                lossCount = 0;
                if (solvedStep is null && Task.IsSolved(p.TestMetric))
                {
                    solvedStep = Step;
                    solvedSeconds = p.Seconds;
                    if (!Options.KeepGoing) { reason = "solved"; break; }
                }
            }
        }
        if (reason != "solved" && reason != "diverged" && (_curve.Count == 0 || _curve[^1].Step != Step))
        {
            var p = Record(lossCount > 0 ? lossSum / lossCount : double.NaN);
            if (solvedStep is null && Task.IsSolved(p.TestMetric)) { solvedStep = Step; solvedSeconds = p.Seconds; }
        }
        return new SyntheticTaskResult(Task.Name, Task.Delay, Step, train.Elapsed.TotalSeconds, wall.Elapsed.TotalSeconds,
            _curve.ToArray(), solvedStep, solvedSeconds, divergence, reason, Monitor?.Snapshots.ToArray() ?? []);

        TaskPoint Record(double trainLoss)
        {
            var (testLoss, testMetric) = Evaluate();
            var point = new TaskPoint(Step, train.Elapsed.TotalSeconds, trainLoss, testLoss, testMetric);
            _curve.Add(point);
            onEvaluation?.Invoke(point);
            return point;
        }
    }

    /// <summary>Forward (and backward) over the batch in windows of K steps, the state carried and detached between
    /// windows. The loss is the mean over all target rows of the sequence; <paramref name="onOutputs"/> gets the
    /// outputs of the target steps (<c>[(T − LossFrom)·B, O]</c>, only when one window covers them all) and the loss.</summary>
    private double RunWindows(SyntheticBatch batch, bool backward, Action<ReadOnlySpan<float>, double>? onOutputs)
    {
        int T = batch.T, B = batch.B, I = Task.InputSize, O = Task.OutputSize;
        int K = Options.Tbptt > 0 ? Math.Min(Options.Tbptt, T) : T;
        if (!backward) K = T;   // evaluation: one pass over the whole sequence
        var state = K < T ? Model.CreateState(B) : null;
        int rowsTotal = batch.LossSteps * B;
        double loss = 0;
        for (int t0 = 0; t0 < T; t0 += K)
        {
            int Tw = Math.Min(K, T - t0);
            var outputs = Model.Forward(batch.Inputs.AsSpan(t0 * B * I, Tw * B * I), Tw, B, state, training: backward);
            int from = Math.Max(batch.LossFrom, t0), to = t0 + Tw;   // target steps inside this window: [from, to)
            if (from >= to) continue;
            if (_grad.Length < Tw * B * O) _grad = new float[Tw * B * O];
            var grad = _grad.AsSpan(0, Tw * B * O);
            grad.Clear();
            var outRows = outputs.Slice((from - t0) * B * O, (to - from) * B * O);
            var gradRows = grad.Slice((from - t0) * B * O, (to - from) * B * O);
            int firstTarget = (from - batch.LossFrom) * B, rows = (to - from) * B;
            double part;
            if (Task.IsClassification)
                part = SoftmaxCrossEntropy.ForwardBackward(outRows, batch.Classes.AsSpan(firstTarget, rows), O, gradRows, 1f / rowsTotal) * rows / rowsTotal;
            else
                part = SquaredError(outRows, batch.Values.AsSpan(firstTarget * O, rows * O), gradRows, rowsTotal * O);
            loss += part;
            if (onOutputs is not null && K == T) onOutputs(outRows, part);
            if (backward && double.IsFinite(part)) Model.Backward(grad);
        }
        return loss;
    }

    /// <summary>Σ (p − y)² / n and its gradient 2(p − y)/n for a slice of a mean over <paramref name="n"/> values.</summary>
    private static double SquaredError(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> grad, int n)
    {
        double sum = 0;
        float s = 2f / n;
        for (int i = 0; i < prediction.Length; i++)
        {
            float d = prediction[i] - target[i];
            sum += (double)d * d;
            grad[i] = s * d;
        }
        return sum / n;
    }

    private static string Describe(double v) => double.IsNaN(v) ? "NaN" : v > 0 ? "+inf" : "-inf";
}
