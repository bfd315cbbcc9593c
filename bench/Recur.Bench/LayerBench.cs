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

/// <summary>Seconds per call (median, min, max) of a layer's forward and of forward + backward (no optimizer; null when not run).</summary>
public sealed record LayerBenchResult(LayerBenchConfig Config, Stats Forward, Stats? ForwardBackward)
{
    public double Tokens => (double)Config.Batch * Config.Seq;
    /// <summary>Tokens (B·T) per second; min/max swap under the inversion.</summary>
    public Stats ForwardTokensPerSecond => Forward.Invert(s => Tokens / s);
    public Stats? ForwardBackwardTokensPerSecond => ForwardBackward?.Invert(s => Tokens / s);
    public double ForwardGflops => Config.ForwardFlops / Forward.Median / 1e9;
    /// <summary>Backward costs two forward-sized products (dX/dh and dW): 3× the forward FLOPs in all.</summary>
    public double? ForwardBackwardGflops => ForwardBackward is { } fb ? 3 * Config.ForwardFlops / fb.Median / 1e9 : null;
}

public static class LayerBench
{
    /// <summary>Times <paramref name="config"/> (warm-up, then <paramref name="repeat"/> samples) for forward
    /// alone and, unless <paramref name="forwardOnly"/>, for forward + backward.</summary>
    public static LayerBenchResult Run(LayerBenchConfig config, int repeat = 7, bool forwardOnly = false)
    {
        var layer = new Recurrent(new RecurrentOptions(config.Cell, config.Input, config.Hidden, config.Layers, config.Bidirectional, config.Proj), seed: 1);
        var rng = new Random(2);
        var x = new Tensor(config.Seq, config.Batch, config.Input);
        foreach (ref float v in x.Span) v = (float)(rng.NextDouble() * 2 - 1);
        var gradOut = new Tensor(config.Seq, config.Batch, layer.Options.OutputSize);
        foreach (ref float v in gradOut.Span) v = (float)(rng.NextDouble() * 2 - 1) * 0.01f;

        var fwd = Timing.SecondsPerCall(() => layer.Forward(x), repeat);
        Stats? fb = forwardOnly ? null : Timing.SecondsPerCall(() =>
        {
            layer.Forward(x);
            layer.Backward(gradOut);
        }, repeat);
        return new LayerBenchResult(config, fwd, fb);
    }
}

/// <summary>The streaming API: one step at a time with carried state (generation, online forecasting).</summary>
public static class StreamingBench
{
    /// <summary>Seconds per streaming step of <paramref name="config"/> (unidirectional; Seq steps per call).</summary>
    public static Stats Run(LayerBenchConfig config, int repeat = 7)
    {
        var layer = new Recurrent(new RecurrentOptions(config.Cell, config.Input, config.Hidden, config.Layers, false, config.Proj), seed: 1);
        var state = layer.CreateState(config.Batch);
        var rng = new Random(3);
        var x = new float[config.Batch * config.Input];
        foreach (ref float v in x.AsSpan()) v = (float)(rng.NextDouble() * 2 - 1);
        var y = new float[config.Batch * layer.Options.StateSize];
        int steps = config.Seq;
        var run = Timing.SecondsPerCall(() =>
        {
            for (int i = 0; i < steps; i++) layer.Step(x, state, y);
        }, repeat);
        return new Stats(run.Median / steps, run.Min / steps, run.Max / steps);
    }
}
