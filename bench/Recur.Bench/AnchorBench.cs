using Recur.Cells;
using Recur.Layers;
using Recur.Tensors;
using Recur.Training;

namespace Recur.Bench;

/// <summary>
/// The configurations of anchors.md, exactly as the peers run them (same models, sizes, loss, Adam 1e-3),
/// so each figure stands beside TorchSharp's. A training step = zero_grad + forward over the whole
/// sequence + loss + full BPTT + Adam update. FLOPs follow the peers' model: a recurrent layer's forward
/// is 2·B·T·G·H·(I + H), a Linear 2·rows·I·O, a training step 3× the forward.
/// </summary>
public static class AnchorBench
{
    public static readonly string[] Names = ["T1", "T2", "T3", "T4", "T5", "I1", "I2"];

    /// <summary>Full display name (anchors.md) of a short name.</summary>
    public static string FullName(string shortName) => shortName switch
    {
        "T1" => "T1 charlm-256",
        "T2" => "T2 charlm-512",
        "T3" => "T3 course-stock",
        "T4" => "T4 gru-512",
        "T5" => "T5 rnn-tanh-256",
        "I1" => "I1 generate",
        "I2" => "I2 bulk",
        _ => throw new ArgumentException($"unknown configuration '{shortName}' (known: {string.Join(", ", Names)})"),
    };

    /// <summary>
    /// Warm-up before the timed samples: with 0.2 s the first samples of T1 ran 2–6 % slower than later ones (tiered
    /// JIT, we think: a training configuration calls some methods once per update, the loss and the layers' sweep
    /// drivers, and a method is compiled fully only after ≈ 30 calls). The peer's figures are steady state
    /// (TorchSharp warms up, then times steps for seconds); so are ours.
    /// </summary>
    internal const double SteadyStateWarmupSeconds = 3.0;

    private static double RnnFwdFlops(double b, double t, double g, double i, double h) => 2.0 * b * t * g * h * (i + h);

    private static double LinearFlops(double rows, double i, double o) => 2.0 * rows * i * o;

    /// <summary>Runs one configuration: returns (unit, throughput stats, GFLOP/s at the median).</summary>
    public static (string Unit, Stats Throughput, double Gflops) Run(string shortName, int repeat)
    {
        switch (shortName)
        {
            case "T1": return CharLm(256, 32, repeat);
            case "T2": return CharLm(512, 64, repeat);
            case "T3": return Stock(repeat);
            case "T4": return SequenceRegression(CellType.Gru, input: 128, hidden: 512, outputs: 10, T: 100, B: 32, repeat);
            case "T5": return SequenceRegression(CellType.RnnTanh, input: 64, hidden: 256, outputs: 10, T: 200, B: 32, repeat);
            case "I1": return Generate(repeat);
            case "I2":
            {
                var r = LayerBench.Run(LayerBenchConfig.I2, repeat, forwardOnly: true);
                return ("tokens/s", r.ForwardTokensPerSecond, r.ForwardGflops);
            }
            default: throw new ArgumentException($"unknown configuration '{shortName}' (known: {string.Join(", ", Names)})");
        }
    }

    /// <summary>T1/T2: Embedding(96, 64) → LSTM 2×H → Linear(H, 96), cross-entropy at every step, T = 100.</summary>
    private static (string, Stats, double) CharLm(int hidden, int batch, int repeat)
    {
        const int V = 96, E = 64, T = 100;
        var rng = new Rng(1);
        var model = new Sequential(new SequentialOptions(CellType.Lstm, E, hidden, 2, V, VocabSize: V), rng);
        var opt = Optimizer.Create(model.NamedParameters, new OptimizerOptions(OptimizerKind.Adam));
        var x = new int[T * batch];
        var y = new int[T * batch];
        for (int i = 0; i < x.Length; i++) { x[i] = rng.NextInt(V); y[i] = rng.NextInt(V); }
        var grad = new float[T * batch * V];
        var step = Timing.SecondsPerCall(() =>
        {
            model.ZeroGrad();
            var logits = model.Forward(x, T, batch, training: true, rng: rng);
            SoftmaxCrossEntropy.ForwardBackward(logits, y, V, grad);
            model.Backward(grad);
            opt.Step(1e-3f);
        }, repeat, warmupSeconds: SteadyStateWarmupSeconds);
        double flops = 3 * (RnnFwdFlops(batch, T, 4, E, hidden) + RnnFwdFlops(batch, T, 4, hidden, hidden) + LinearFlops(batch * T, hidden, V));
        return ("tokens/s", step.Invert(s => batch * T / s), flops / step.Median / 1e9);
    }

    /// <summary>T3: input 1 → 4 stacked LSTM(50), dropout 0.2 between and before the head → Linear(50, 1) on the last step, MSE; T = 60, B = 32.</summary>
    private static (string, Stats, double) Stock(int repeat)
    {
        const int T = 60, B = 32, H = 50;
        var rng = new Rng(1);
        var model = new Sequential(new SequentialOptions(CellType.Lstm, 1, H, 4, 1, Dropout: 0.2f), rng);
        var opt = Optimizer.Create(model.NamedParameters, new OptimizerOptions(OptimizerKind.Adam));
        var x = new float[T * B];
        var y = new float[B];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextGaussian();
        for (int i = 0; i < y.Length; i++) y[i] = (float)rng.NextGaussian();
        var grad = new float[B];
        var step = Timing.SecondsPerCall(() =>
        {
            model.ZeroGrad();
            var outputs = model.ForwardLast(x, T, B, training: true, rng: rng);  // [B, 1]: the head on the last step only
            MeanSquaredError.ForwardBackward(outputs, y, grad);
            model.BackwardLast(grad);
            opt.Step(1e-3f);
        }, repeat, warmupSeconds: SteadyStateWarmupSeconds);
        double flops = 3 * (RnnFwdFlops(B, T, 4, 1, H) + 3 * RnnFwdFlops(B, T, 4, H, H) + LinearFlops(B, H, 1));
        return ("samples/s", step.Invert(s => B / s), flops / step.Median / 1e9);
    }

    /// <summary>T4/T5: input I → one recurrent layer H → Linear(H, O) at every step, MSE.</summary>
    private static (string, Stats, double) SequenceRegression(CellType cell, int input, int hidden, int outputs, int T, int B, int repeat)
    {
        var rng = new Rng(1);
        var model = new Sequential(new SequentialOptions(cell, input, hidden, 1, outputs), rng);
        var opt = Optimizer.Create(model.NamedParameters, new OptimizerOptions(OptimizerKind.Adam));
        var x = new float[T * B * input];
        var y = new float[T * B * outputs];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextGaussian();
        for (int i = 0; i < y.Length; i++) y[i] = (float)rng.NextGaussian();
        var grad = new float[T * B * outputs];
        var step = Timing.SecondsPerCall(() =>
        {
            model.ZeroGrad();
            var pred = model.Forward(x, T, B, training: true, rng: rng);
            MeanSquaredError.ForwardBackward(pred, y, grad);
            model.Backward(grad);
            opt.Step(1e-3f);
        }, repeat, warmupSeconds: SteadyStateWarmupSeconds);
        double flops = 3 * (RnnFwdFlops(B, T, cell.Gates(), input, hidden) + LinearFlops(B * T, hidden, outputs));
        return ("tokens/s", step.Invert(s => B * T / s), flops / step.Median / 1e9);
    }

    /// <summary>I1: the T1 model, batch 1, 2,000 characters one at a time with (h, c) carried: Linear + softmax + sampling.</summary>
    private static (string, Stats, double) Generate(int repeat)
    {
        const int V = 96, E = 64, H = 256, Steps = 2000;
        var rng = new Rng(1);
        // The model as `recur sample` runs it: a frozen copy (TorchSharp's side runs its model in eval mode).
        var model = new FrozenSequential(new Sequential(new SequentialOptions(CellType.Lstm, E, H, 2, V, VocabSize: V), rng));
        var logits = new float[V];
        var probs = new float[V];
        var run = Timing.SecondsPerCall(() =>
        {
            var state = model.CreateState();
            int token = 0;
            for (int i = 0; i < Steps; i++)
            {
                model.Step(token, state, logits);
                System.Numerics.Tensors.TensorPrimitives.SoftMax(logits, probs);
                token = SampleIndex(probs, rng.NextFloat());
            }
        }, repeat, warmup: 1, minSampleSeconds: 0, warmupSeconds: SteadyStateWarmupSeconds);
        double flops = RnnFwdFlops(1, 1, 4, E, H) + RnnFwdFlops(1, 1, 4, H, H) + LinearFlops(1, H, V);
        return ("chars/s", run.Invert(s => Steps / s), flops * Steps / run.Median / 1e9);
    }

    private static int SampleIndex(ReadOnlySpan<float> probs, float u)
    {
        float acc = 0;
        for (int i = 0; i < probs.Length; i++)
        {
            acc += probs[i];
            if (u < acc) return i;
        }
        return probs.Length - 1;
    }

    /// <summary>`recur bench T1 …`: the named configurations in one report (no in-process peer: TorchSharp runs beside it).</summary>
    public static BenchReport Report(IReadOnlyList<string> names, int threads, int repeat, Action<string>? log = null)
    {
        var report = new BenchReport(MachineInfo.Current(threads));
        int saved = Kernels.Gemm.Threads;
        Kernels.Gemm.Threads = threads;
        try
        {
            foreach (var name in names)
            {
                log?.Invoke($"{FullName(name)} ...");
                var (unit, throughput, gflops) = Run(name, repeat);
                report.Results.Add(BenchResult.From(name, unit, throughput, null, null) with { Gflops = Math.Round(gflops, 2) });
            }
            report.Notes.Add("peer: run ../shared/peers/torchsharp/run.sh --configs " + string.Join(",", names) + " beside this (TorchSharp is never in-process)");
        }
        finally { Kernels.Gemm.Threads = saved; }
        return report;
    }
}
