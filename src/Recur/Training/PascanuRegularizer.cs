using Recur.Cells;
using Recur.Kernels;
using Recur.Layers;

namespace Recur.Training;

/// <summary>
/// The regulariser of Pascanu, Mikolov &amp; Bengio 2013 (eq. 9) that keeps the error signal from vanishing
/// as it travels back in time, for the tanh (and ReLU) RNN:
/// <code>Ω = Σ_k ( ‖δ_{k+1} · ∂h_{k+1}/∂h_k‖ / ‖δ_{k+1}‖ − 1 )²,   ∂h_{k+1}/∂h_k = diag(f′(z_{k+1})) · W_hh</code>
/// with δ_{k+1} = ∂ε/∂h_{k+1} the total gradient reaching h_{k+1} (from the loss at k+1 and from later steps).
/// Ω is summed over the T transitions of the window and averaged over the B streams; the loss gets λ·Ω.
/// <para>Approximation, as in the paper: δ_{k+1} is treated as a constant, and so are the states (f′ is taken
/// at the forward values), so ∂Ω/∂W_hh is only the explicit dependence through the W_hh factor:
/// with a = δ_{k+1} ⊙ f′, v = a·W_hh, r = ‖v‖/‖δ_{k+1}‖: ∂Ω_k/∂W_hh = 2(r − 1)/(‖δ_{k+1}‖·‖v‖) · aᵀv.
/// Only W_hh receives a gradient. Transitions with δ = 0 are skipped; where v = 0 (ReLU, all units off) Ω_k = 1 with a zero subgradient.</para>
/// <para>It needs each recurrent layer's input and output, so <see cref="Sequential"/> models using it are built
/// with <see cref="SequentialOptions.SplitLayers"/>.</para>
/// </summary>
public sealed class PascanuRegularizer : IRecurrentPenalty
{
    private float[] _a = [], _v = [], _deltaNorm = [];

    public PascanuRegularizer(float strength)
    {
        if (!(strength >= 0)) throw new ArgumentException($"Ω strength must be ≥ 0, got {strength}");
        Strength = strength;
    }

    /// <summary>λ.</summary>
    public float Strength { get; }

    /// <summary>Ω of the last <see cref="Apply"/> call (before λ).</summary>
    public double LastOmega { get; private set; }

    public static void CheckCell(CellType cell)
    {
        if (cell is not (CellType.RnnTanh or CellType.RnnRelu))
            throw new ArgumentException($"the Pascanu regulariser Ω is implemented for rnn and rnn-relu cells, not {cell.CliName()}");
    }

    public double Apply(int module, Recurrent rnn, ReadOnlySpan<float> h0, ReadOnlySpan<float> output, ReadOnlySpan<float> gradOutput, int T, int B)
    {
        CheckCell(rnn.Options.Cell);
        if (rnn.Options.NumLayers != 1 || rnn.Options.Bidirectional)
            throw new ArgumentException("the Pascanu regulariser needs one-layer, unidirectional recurrent modules (build the model with SplitLayers)");
        int H = rnn.Options.HiddenSize, N = T * B;
        var w = rnn["weight_hh_l0"];
        if (_a.Length < N * H) { _a = new float[N * H]; _v = new float[N * H]; }
        if (_deltaNorm.Length < N) _deltaNorm = new float[N];
        var a = _a.AsSpan(0, N * H);
        var v = _v.AsSpan(0, N * H);
        bool relu = rnn.Options.Cell == CellType.RnnRelu;
        var W = w.Value.Span;

        // δ_t = ∂L/∂out_t + a_{t+1}·W_hh, a_t = δ_t ⊙ f′(out_t), backwards over the window (the state is detached at its end).
        for (int t = T - 1; t >= 0; t--)
        {
            var d = v.Slice(t * B * H, B * H);    // v holds δ_t temporarily
            gradOutput.Slice(t * B * H, B * H).CopyTo(d);
            if (t < T - 1) Gemm.Sgemm(Op.None, Op.None, B, H, H, 1f, a.Slice((t + 1) * B * H, B * H), H, W, H, 1f, d, H);
            var at = a.Slice(t * B * H, B * H);
            var ht = output.Slice(t * B * H, B * H);
            for (int b = 0; b < B; b++)
            {
                double s = 0;
                for (int j = 0; j < H; j++)
                {
                    int i = b * H + j;
                    float delta = d[i];
                    s += (double)delta * delta;
                    float h = ht[i];
                    at[i] = delta * (relu ? (h > 0 ? 1f : 0f) : 1f - h * h);
                }
                _deltaNorm[t * B + b] = (float)Math.Sqrt(s);
            }
        }

        // v = a·W_hh for every transition at once, then Ω and the rows of ∂Ω/∂v.
        Gemm.Sgemm(Op.None, Op.None, N, H, H, 1f, a, H, W, H, 0f, v, H);
        double omega = 0;
        float lambdaOverB = Strength / B;
        for (int r = 0; r < N; r++)
        {
            var vr = v.Slice(r * H, H);
            double dn = _deltaNorm[r];
            double vn = Math.Sqrt(Elementwise.SumOfSquares(vr));
            if (dn == 0 || vn == 0)
            {
                if (dn > 0) omega += 1;   // the signal vanished entirely: r = 0 (no gradient direction: subgradient 0)
                vr.Clear();
                continue;
            }
            double ratio = vn / dn;
            omega += (ratio - 1) * (ratio - 1);
            float coef = (float)(lambdaOverB * 2 * (ratio - 1) / (dn * vn));
            for (int j = 0; j < H; j++) vr[j] *= coef;
        }
        omega /= B;
        // ∂(λΩ)/∂W_hh += aᵀ · v′
        if (Strength > 0) Gemm.Sgemm(Op.Transpose, Op.None, H, H, N, 1f, a, H, v, H, 1f, w.Grad.Span, H);
        LastOmega = omega;
        return omega;
    }
}
