using Recur.Cells;
using Recur.Kernels;
using Recur.Layers;
using Recur.Tensors;
using Recur.Training;

namespace Recur.Diagnostics;

/// <summary>
/// How much of the error at the last step reaches each earlier step, for the top layer of a recurrent stack.
/// Index d = T − k is the distance back in time: d = 0 is h_T (the last output), d = T is h_0 (the initial state).
/// </summary>
/// <param name="Length">T, the number of steps run.</param>
/// <param name="GradH">[T + 1] ‖∂ε_T/∂h_{T−d}‖ (Frobenius norm over the batch).</param>
/// <param name="GradC">[T + 1] ‖∂ε_T/∂c_{T−d}‖ for LSTM cells, else null: the total derivative, through c_{k+1} and through
/// h_k = o_k ⊙ tanh(c_k) (at d = T, c_0 and h_0 are independent inputs, so only through c_1).</param>
/// <param name="JacobianProductNorm">[T + 1] ‖(∂h_T/∂h_{T−d})ᵀ g‖ / ‖g‖ for the probe g = ∂ε_T/∂h_T: with the default
/// Gaussian probe an estimate of the RMS singular value ‖∂h_T/∂h_k‖_F / √H over the batch (Hutchinson); 1 at d = 0.</param>
/// <param name="StepGain">[T + 1] GradH[d] / GradH[d − 1]: the factor one step back in time applies to the error (NaN at d = 0).</param>
/// <param name="Slope">Least-squares slope of log10 GradH[d] against d over <paramref name="FitFrom"/> ≤ d ≤ <paramref name="FitTo"/>,
/// in decades per step: negative vanishes, positive explodes.</param>
public sealed record GradientFlowResult(int Length, double[] GradH, double[]? GradC, double[] JacobianProductNorm, double[] StepGain,
    double Slope, int FitFrom, int FitTo)
{
    /// <summary>log10 of GradH (−inf where it is 0).</summary>
    public double[] Log10GradH => GradH.Select(Math.Log10).ToArray();
}

/// <summary>
/// Measures gradient flow through time (Bengio, Simard &amp; Frasconi 1994; Pascanu, Mikolov &amp; Bengio 2013): one
/// forward pass over a batch, an error ε_T placed on the last output only, one exact BPTT pass, and the norms
/// ‖∂ε_T/∂h_k‖, ‖∂ε_T/∂c_k‖ for every k read through <see cref="IRecurrentRecorder"/>.
/// Parameter gradients are accumulated as a side effect: call <see cref="Recurrent.ZeroGrad"/> before training on.
/// </summary>
public static class GradientFlow
{
    /// <summary>
    /// <paramref name="x"/> <c>[T, B, I]</c>. The error is ε_T = ⟨g, h_T⟩ with <paramref name="probe"/> g <c>[B, Hout]</c>
    /// = ∂ε_T/∂h_T of the top layer; by default g ~ N(0, 1)/√(B·Hout) drawn from <paramref name="rng"/>, so
    /// E‖g‖² = 1 and the curve starts near 10⁰. The slope is fitted over distances
    /// [<paramref name="fitFrom"/>, <paramref name="fitTo"/>] (default: the whole curve, 0..T).
    /// </summary>
    public static GradientFlowResult Measure(Recurrent rnn, Tensor x, Rng? rng = null, Tensor? probe = null, int fitFrom = 0, int? fitTo = null)
    {
        ArgumentNullException.ThrowIfNull(rnn);
        ArgumentNullException.ThrowIfNull(x);
        var o = rnn.Options;
        if (o.Bidirectional) throw new ArgumentException("gradient flow is measured for unidirectional layers only");
        if (x.Rank != 3) throw new ArgumentException($"x: expected [T, B, {o.InputSize}], got {Tensor.ShapeString(x.Shape)}");
        int T = x.Dim(0), B = x.Dim(1), Ho = o.StateSize, top = o.NumLayers - 1;
        int to = fitTo ?? T;
        if (fitFrom < 0 || to > T || to - fitFrom < 1) throw new ArgumentException($"slope fit range [{fitFrom}, {to}] must lie in [0, {T}] and span at least 2 points");

        var g = probe ?? GaussianProbe(B, Ho, rng ?? new Rng(1));
        g.EnsureShape("probe", B, Ho);

        var recorder = new GradientFlowRecorder(top, T);
        var previous = rnn.Recorder;
        rnn.Recorder = recorder;
        RecurrentGradients grads;
        try
        {
            var result = rnn.Forward(x);
            // ∂ε/∂output [T, B, Hout]: zero everywhere but the last step.
            var gradOut = new Tensor(result.Output.Shape);
            g.Span.CopyTo(gradOut.Span.Slice((T - 1) * B * Ho, B * Ho));
            grads = rnn.Backward(gradOut);
        }
        finally
        {
            rnn.Recorder = previous;
        }

        // Recorder index t ↔ h_{t+1} (step t's output); h_0 is the initial state, whose gradient Backward returns.
        var gradH = new double[T + 1];
        var gradC = o.Cell.IsLstm() ? new double[T + 1] : null;
        for (int t = 0; t < T; t++)
        {
            gradH[T - 1 - t] = recorder.GradH[t];
            if (gradC != null) gradC[T - 1 - t] = recorder.GradC[t];
        }
        gradH[T] = Norm(grads.H0.Span.Slice(top * B * Ho, B * Ho));
        if (gradC != null) gradC[T] = Norm(grads.C0!.Span.Slice(top * B * o.HiddenSize, B * o.HiddenSize));

        double g0 = Norm(g.Span);
        var jac = gradH.Select(v => g0 > 0 ? v / g0 : double.NaN).ToArray();
        var gain = new double[T + 1];
        gain[0] = double.NaN;
        for (int d = 1; d <= T; d++) gain[d] = gradH[d - 1] > 0 ? gradH[d] / gradH[d - 1] : double.NaN;
        return new GradientFlowResult(T, gradH, gradC, jac, gain, FitSlope(gradH, fitFrom, to), fitFrom, to);
    }

    /// <summary>g ~ N(0, 1)/√(B·H), <c>[B, H]</c>.</summary>
    public static Tensor GaussianProbe(int batch, int width, Rng rng)
    {
        var g = new Tensor(batch, width);
        var s = g.Span;
        double scale = 1 / Math.Sqrt((double)batch * width);
        for (int i = 0; i < s.Length; i++) s[i] = (float)(rng.NextGaussian() * scale);
        return g;
    }

    /// <summary>Least-squares slope of log10 y[d] against d for d in [from, to]; points with y = 0 (or non-finite) are
    /// skipped; NaN when fewer than two remain.</summary>
    public static double FitSlope(IReadOnlyList<double> y, int from, int to)
    {
        double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (int d = from; d <= to && d < y.Count; d++)
        {
            double v = Math.Log10(y[d]);
            if (!double.IsFinite(v)) continue;
            n++; sx += d; sy += v; sxx += (double)d * d; sxy += d * v;
        }
        double den = n * sxx - sx * sx;
        return n < 2 || den == 0 ? double.NaN : (n * sxy - sx * sy) / den;
    }

    private static double Norm(ReadOnlySpan<float> v) => Math.Sqrt(Elementwise.SumOfSquares(v));
}
