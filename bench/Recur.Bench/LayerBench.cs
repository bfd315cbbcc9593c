using System.Diagnostics;
using Recur.Cells;
using Recur.Layers;
using Recur.Tensors;

namespace Recur.Bench;

/// <summary>A recurrent-layer benchmark configuration (`recur bench layer ...`, and I2).</summary>
public sealed record LayerBenchConfig(CellType Cell, int Hidden, int Layers, int Batch, int Seq, int Input, bool Bidirectional = false, int Proj = 0)
{
    /// <summary>The anchor I2: LSTM 2×512, input 64, B = 64, T = 100, forward only.</summary>
    public static LayerBenchConfig I2 => new(CellType.Lstm, 512, 2, 64, 100, 64);

    /// <summary>Forward FLOPs, the peers' model: Σ over layers and directions of 2·B·T·G·H·(I_l + Hout) (+ the projection).</summary>
    public double ForwardFlops
    {
        get
        {
            int d = Bidirectional ? 2 : 1, g = Cell.Gates(), hout = Proj > 0 ? Proj : Hidden;
            double flops = 0;
            for (int l = 0; l < Layers; l++)
            {
                int input = l == 0 ? Input : d * hout;
                flops += d * (2.0 * Batch * Seq * g * Hidden * (input + hout) + (Proj > 0 ? 2.0 * Batch * Seq * Hidden * Proj : 0));
            }
            return flops;
        }
    }

    public string Describe() =>
        $"{Cell.CliName()} {Layers}x{Hidden}{(Proj > 0 ? $" proj {Proj}" : "")}{(Bidirectional ? " bidirectional" : "")}, input {Input}, B={Batch}, T={Seq}";
}

/// <summary>Median timings of a layer's forward and forward + backward (no optimizer).</summary>
public sealed record LayerBenchResult(LayerBenchConfig Config, double ForwardSeconds, double ForwardBackwardSeconds,
    double ForwardMin, double ForwardMax, double ForwardBackwardMin, double ForwardBackwardMax)
{
    public double Tokens => (double)Config.Batch * Config.Seq;
    public double ForwardTokensPerSecond => Tokens / ForwardSeconds;
    public double ForwardBackwardTokensPerSecond => Tokens / ForwardBackwardSeconds;
    public double ForwardGflops => Config.ForwardFlops / ForwardSeconds / 1e9;
    /// <summary>Backward costs two forward products (dX/dh and dW): 3× the forward FLOPs in all.</summary>
    public double ForwardBackwardGflops => 3 * Config.ForwardFlops / ForwardBackwardSeconds / 1e9;
}

public static class LayerBench
{
    /// <summary>Times <paramref name="config"/>: warm-up, then repeats until <paramref name="budgetSeconds"/>
    /// (at least <paramref name="minRepeats"/> runs) for forward alone and for forward + backward.</summary>
    public static LayerBenchResult Run(LayerBenchConfig config, double budgetSeconds = 3, int minRepeats = 5, bool forwardOnly = false)
    {
        var layer = new Recurrent(new RecurrentOptions(config.Cell, config.Input, config.Hidden, config.Layers, config.Bidirectional, config.Proj), seed: 1);
        var rng = new Random(2);
        var x = new Tensor(config.Seq, config.Batch, config.Input);
        foreach (ref float v in x.Span) v = (float)(rng.NextDouble() * 2 - 1);
        var gradOut = new Tensor(config.Seq, config.Batch, layer.Options.OutputSize);
        foreach (ref float v in gradOut.Span) v = (float)(rng.NextDouble() * 2 - 1) * 0.01f;

        var fwd = Timing.Repeat(() => layer.Forward(x), budgetSeconds, minRepeats);
        Timing.Summary fb = fwd;
        if (!forwardOnly)
        {
            fb = Timing.Repeat(() =>
            {
                layer.Forward(x);
                layer.Backward(gradOut);
            }, budgetSeconds, minRepeats);
        }
        return new LayerBenchResult(config, fwd.Median, forwardOnly ? double.NaN : fb.Median, fwd.Min, fwd.Max,
            forwardOnly ? double.NaN : fb.Min, forwardOnly ? double.NaN : fb.Max);
    }
}

/// <summary>The streaming API: one step at a time with carried state (generation, online forecasting).</summary>
public static class StreamingBench
{
    /// <summary>Median seconds per step of <paramref name="config"/> (Seq steps per timed run, unidirectional).</summary>
    public static Timing.Summary Run(LayerBenchConfig config, double budgetSeconds = 2, int minRepeats = 5)
    {
        var layer = new Recurrent(new RecurrentOptions(config.Cell, config.Input, config.Hidden, config.Layers, false, config.Proj), seed: 1);
        var state = layer.CreateState(config.Batch);
        var rng = new Random(3);
        var x = new float[config.Batch * config.Input];
        foreach (ref float v in x.AsSpan()) v = (float)(rng.NextDouble() * 2 - 1);
        var y = new float[config.Batch * layer.Options.StateSize];
        int steps = config.Seq;
        var run = Timing.Repeat(() =>
        {
            for (int i = 0; i < steps; i++) layer.Step(x, state, y);
        }, budgetSeconds, minRepeats);
        return new Timing.Summary(run.Median / steps, run.Min / steps, run.Max / steps, run.Count);
    }
}

/// <summary>Median-of-repeats timing after warm-up.</summary>
public static class Timing
{
    public readonly record struct Summary(double Median, double Min, double Max, int Count);

    public static Summary Repeat(Action action, double budgetSeconds, int minRepeats, int warmup = 2)
    {
        for (int i = 0; i < warmup; i++) action();
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (times.Count < minRepeats || total.Elapsed.TotalSeconds < budgetSeconds)
        {
            long t0 = Stopwatch.GetTimestamp();
            action();
            times.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
            if (times.Count >= 1000) break;
        }
        times.Sort();
        int n = times.Count;
        double median = n % 2 == 1 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
        return new Summary(median, times[0], times[^1], n);
    }
}
