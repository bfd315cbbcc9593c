using Recur.Cells;
using Recur.Diagnostics;
using Recur.Layers;
using Recur.Tensors;
using Recur.Training;

namespace Recur.Tests.Diagnostics;

public sealed class GradientFlowTests
{
    /// <summary>A ReLU RNN whose every pre-activation stays positive is linear: h_t = W h_{t−1} + U x_t + b, so
    /// ∂ε_T/∂h_k = (Wᵀ)^(T−k) g exactly, computed here in float64 without the layer.</summary>
    [Fact]
    public void LinearRnn_GradientNormAtEveryStep_IsTheNormOfWTransposedPowerTimesProbe()
    {
        const int H = 6, I = 2, T = 12, B = 3;
        var rnn = new Recurrent(new RecurrentOptions(CellType.RnnRelu, I, H));
        var rng = new Rng(5);
        foreach (var p in rnn.Parameters)
        {
            var s = p.Value.Span;
            for (int i = 0; i < s.Length; i++) s[i] = (float)rng.Uniform(0.02, 0.3);   // all positive: ReLU never clips
        }
        var x = new Tensor(T, B, I);
        for (int i = 0; i < x.Span.Length; i++) x.Span[i] = (float)rng.Uniform(0, 1);
        var probe = new Tensor(B, H);
        for (int i = 0; i < probe.Span.Length; i++) probe.Span[i] = (float)rng.NextGaussian();

        var flow = GradientFlow.Measure(rnn, x, probe: probe);

        var w = rnn["weight_hh_l0"].Value.Span.ToArray();   // [H, H]
        var g = new double[B][];
        for (int b = 0; b < B; b++) g[b] = Enumerable.Range(0, H).Select(j => (double)probe.Span[b * H + j]).ToArray();
        Assert.Equal(T + 1, flow.GradH.Length);
        for (int d = 0; d <= T; d++)
        {
            double expected = Math.Sqrt(g.Sum(v => v.Sum(e => e * e)));
            Assert.True(Math.Abs(flow.GradH[d] - expected) <= 1e-4 * expected, $"d={d}: {flow.GradH[d]} vs {expected}");
            double jac = expected / Math.Sqrt(Norm2(probe));
            Assert.True(Math.Abs(flow.JacobianProductNorm[d] - jac) <= 1e-4 * jac, $"d={d}: Jacobian product {flow.JacobianProductNorm[d]} vs {jac}");
            for (int b = 0; b < B; b++) g[b] = TransposeTimes(w, g[b], H);   // one step further back
        }
        Assert.Null(flow.GradC);
    }

    /// <summary>For an LSTM, ∂ε_T/∂h_k and ∂ε_T/∂c_k must follow from the initial-state gradients of the same network run
    /// from step k with the state it had there: an independent route through Forward/Backward with h0, c0.</summary>
    [Fact]
    public void Lstm_GradientAtStepK_EqualsInitialStateGradientOfTheRunStartedAtK()
    {
        const int H = 8, I = 3, T = 10, B = 2;
        var rnn = new Recurrent(new RecurrentOptions(CellType.Lstm, I, H), seed: 3);
        var rng = new Rng(9);
        var x = new Tensor(T, B, I);
        for (int i = 0; i < x.Span.Length; i++) x.Span[i] = (float)rng.NextGaussian();
        var probe = GradientFlow.GaussianProbe(B, H, rng);
        var states = new StateCapture(T, B * H);
        rnn.Recorder = states;
        rnn.Forward(x);   // the states h_k, c_k along the way
        rnn.Recorder = null;
        var flow = GradientFlow.Measure(rnn, x, probe: probe);
        Assert.NotNull(flow.GradC);

        foreach (int k in new[] { 1, 4, 7 })
        {
            // h_k is the output of step index k − 1; the rest of the sequence is x[k .. T).
            var tail = new Tensor(T - k, B, I);
            x.Span.Slice(k * B * I, (T - k) * B * I).CopyTo(tail.Span);
            var h0 = new Tensor(states.H[k - 1], 1, B, H);
            var c0 = new Tensor(states.C[k - 1], 1, B, H);
            var r = rnn.Forward(tail, h0, c0);
            var gradOut = new Tensor(r.Output.Shape);
            probe.Span.CopyTo(gradOut.Span.Slice((T - k - 1) * B * H, B * H));
            var grads = rnn.Backward(gradOut);
            double gh = Math.Sqrt(Norm2(grads.H0));
            // The recorder's ∂ε/∂c_k is the total derivative: through c_{k+1} (= the rerun's ∂ε/∂c0, h0 held fixed)
            // and through h_k = o_k ⊙ tanh(c_k).
            double gc = 0;
            for (int i = 0; i < B * H; i++)
            {
                int b = i / H, j = i % H;
                float o = states.Gates[k - 1][b * 4 * H + 3 * H + j], tc = MathF.Tanh(states.C[k - 1][i]);
                double v = grads.C0!.Span[i] + grads.H0.Span[i] * o * (1 - tc * tc);
                gc += v * v;
            }
            gc = Math.Sqrt(gc);
            Assert.True(Math.Abs(flow.GradH[T - k] - gh) <= 1e-4 * gh + 1e-9, $"k={k}: h {flow.GradH[T - k]} vs {gh}");
            Assert.True(Math.Abs(flow.GradC![T - k] - gc) <= 1e-4 * gc + 1e-9, $"k={k}: c {flow.GradC[T - k]} vs {gc}");
        }
    }

    [Fact]
    public void FitSlope_OfAGeometricSequence_IsTheLog10OfItsRatio()
    {
        var y = Enumerable.Range(0, 30).Select(d => 3 * Math.Pow(0.8, d)).ToArray();
        Assert.Equal(Math.Log10(0.8), GradientFlow.FitSlope(y, 0, 29), 10);
        y[5] = 0;   // a zero (log −inf) is skipped, not fitted
        Assert.Equal(Math.Log10(0.8), GradientFlow.FitSlope(y, 0, 29), 10);
        Assert.True(double.IsNaN(GradientFlow.FitSlope([1.0], 0, 0)));
    }

    [Fact]
    public void Experiment_ShowsVanishingExplodingAndHolding_WithSlopesApart()
    {
        var settings = new[]
        {
            new GradientFlowSetting(CellType.RnnTanh, InitScheme.Orthogonal, 0.5),
            new GradientFlowSetting(CellType.RnnRelu, InitScheme.Identity, 1.5),
            new GradientFlowSetting(CellType.Lstm, InitScheme.Chrono, null),
        };
        var curves = GradientFlowExperiment.Run(settings, new GradientFlowConditions(Hidden: 32, Length: 40, Batch: 8));
        double vanish = curves[0].Flow.Slope, explode = curves[1].Flow.Slope, hold = curves[2].Flow.Slope;
        Assert.True(vanish < -0.25, $"rnn ρ=0.5 slope {vanish}");
        Assert.InRange(explode, Math.Log10(1.5) - 0.01, Math.Log10(1.5) + 0.005);   // W_hh = 1.5·I on the active ReLU units: 1.5 per step
        Assert.InRange(hold, -0.04, 0.02);
        Assert.True(hold - vanish >= 0.05 && explode - hold >= 0.05);
    }

    [Fact]
    public void Monitor_RecordsSnapshotsEveryN_WithTheSameProbe()
    {
        var rnn = new Recurrent(new RecurrentOptions(CellType.Gru, 2, 8), seed: 1);
        var x = new Tensor(6, 3, 2);
        x.Span.Fill(0.5f);
        var monitor = new GradientFlowMonitor(rnn, x, every: 5);
        for (long step = 1; step <= 12; step++) monitor.AfterStep(step);
        Assert.Equal([5L, 10L], monitor.Snapshots.Select(s => s.Step));
        Assert.All(monitor.Snapshots, s => Assert.Equal(7, s.Log10GradH.Length));
        Assert.All(monitor.Snapshots, s => Assert.True(double.IsFinite(s.Slope) && s.MaxSpectralRadius > 0 && s.MaxSingularValue >= s.MaxSpectralRadius - 1e-6));
        Assert.Equal(monitor.Snapshots[0].Slope, monitor.Snapshots[1].Slope, 12);   // same weights, same probe
    }

    private sealed class StateCapture(int steps, int size) : IRecurrentRecorder
    {
        public float[][] H { get; } = Enumerable.Range(0, steps).Select(_ => new float[size]).ToArray();
        public float[][] C { get; } = Enumerable.Range(0, steps).Select(_ => new float[size]).ToArray();
        public float[][] Gates { get; } = Enumerable.Range(0, steps).Select(_ => new float[4 * size]).ToArray();

        public void Forward(int layer, int direction, int t, ReadOnlySpan<float> h, ReadOnlySpan<float> c, ReadOnlySpan<float> gates)
        {
            h.CopyTo(H[t]);
            c.CopyTo(C[t]);
            gates.CopyTo(Gates[t]);
        }

        public void Backward(int layer, int direction, int t, double gradHNorm, double gradCNorm)
        {
        }
    }

    private static double Norm2(Tensor t) => t.Span.ToArray().Sum(v => (double)v * v);

    private static double[] TransposeTimes(float[] w, double[] g, int n)
    {
        var r = new double[n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) r[j] += w[i * n + j] * g[i];
        return r;
    }
}
