using Recur.Cells;
using Recur.Kernels;
using Recur.Layers;
using Recur.Tensors;
using Recur.Training;

namespace Recur.Tests.Training;

public class InitAndPenaltyTests
{
    [Theory]
    [InlineData(CellType.Lstm, 0)]
    [InlineData(CellType.Gru, 0)]
    [InlineData(CellType.Lstm, 5)]
    public void Orthogonal_init_gives_orthonormal_columns_per_gate_block(CellType cell, int proj)
    {
        int H = 8;
        var rnn = new Recurrent(new RecurrentOptions(cell, 3, H, 2, ProjSize: proj));
        Initializers.Initialize(rnn, InitScheme.Orthogonal, new Rng(1), forgetBias: null);
        int Ho = rnn.Options.StateSize;
        foreach (var name in new[] { "weight_hh_l0", "weight_hh_l1" })
        {
            var w = rnn[name].Value.Span;
            for (int g = 0; g < cell.Gates(); g++)
            {
                var block = w.Slice(g * H * Ho, H * Ho);
                for (int i = 0; i < Ho; i++)
                    for (int j = 0; j < Ho; j++)
                    {
                        double s = 0;
                        for (int r = 0; r < H; r++) s += (double)block[r * Ho + i] * block[r * Ho + j];
                        Assert.Equal(i == j ? 1.0 : 0.0, s, 5);
                    }
            }
        }
        Assert.All(rnn["bias_ih_l0"].Value.Span.ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Identity_init_for_the_irnn_and_refused_for_gated_cells()
    {
        var rnn = new Recurrent(new RecurrentOptions(CellType.RnnRelu, 2, 4));
        Initializers.Initialize(rnn, InitScheme.Identity, new Rng(1));
        var w = rnn["weight_hh_l0"].Value;
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) Assert.Equal(i == j ? 1f : 0f, w[i, j]);
        var lstm = new Recurrent(new RecurrentOptions(CellType.Lstm, 2, 4));
        Assert.Contains("rnn", Assert.Throws<ArgumentException>(() => Initializers.Initialize(lstm, InitScheme.Identity, new Rng(1))).Message);
    }

    [Fact]
    public void Forget_bias_goes_on_the_f_rows_only()
    {
        int H = 5;
        var rnn = new Recurrent(new RecurrentOptions(CellType.Lstm, 2, H), seed: 3);
        var before = rnn["bias_ih_l0"].Value.Clone();
        Initializers.Initialize(rnn, InitScheme.Default, new Rng(1), forgetBias: 1f);
        var bih = rnn["bias_ih_l0"].Value.Span;
        var bhh = rnn["bias_hh_l0"].Value.Span;
        for (int r = 0; r < 4 * H; r++)
        {
            bool f = r >= H && r < 2 * H;
            if (f) { Assert.Equal(1f, bih[r]); Assert.Equal(0f, bhh[r]); }
            else Assert.Equal(before[r], bih[r]);   // i, g, o rows untouched
        }
    }

    [Fact]
    public void Chrono_init_draws_forget_bias_from_log_uniform_and_input_bias_is_its_negative()
    {
        int H = 64, Tmax = 100;
        var rnn = new Recurrent(new RecurrentOptions(CellType.Lstm, 2, H));
        Initializers.Initialize(rnn, InitScheme.Chrono, new Rng(1), chronoMaxT: Tmax);
        var b = rnn["bias_ih_l0"].Value.Span;
        var bhh = rnn["bias_hh_l0"].Value.Span;
        for (int j = 0; j < H; j++)
        {
            float bf = b[H + j];
            Assert.InRange(bf, 0f, (float)Math.Log(Tmax - 1));
            Assert.Equal(-bf, b[j]);
            Assert.Equal(0f, b[2 * H + j]);   // g and o rows 0
            Assert.Equal(0f, b[3 * H + j]);
            Assert.Equal(0f, bhh[j] + bhh[H + j]);
        }
        Assert.True(b.Slice(H, H).ToArray().Max() > 3.5f); // spread over log U(1, 99): most above log 33 ≈ 3.5
        Assert.Throws<ArgumentException>(() => Initializers.Initialize(new Recurrent(new RecurrentOptions(CellType.Gru, 2, 4)), InitScheme.Chrono, new Rng(1), chronoMaxT: 10));
    }

    private static (Recurrent Rnn, Tensor X, Tensor Out, float[] GOut) RnnCase(CellType cell, int T, int B, int H)
    {
        var rnn = new Recurrent(new RecurrentOptions(cell, 3, H), seed: 7);
        var rng = new Rng(9);
        var w = rnn["weight_hh_l0"].Value.Span;
        for (int i = 0; i < w.Length; i++) w[i] = (float)rng.Uniform(-0.8, 0.8);
        var x = new Tensor(T, B, 3);
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.Uniform(-1, 1);
        var g = new float[T * B * H];
        for (int i = 0; i < g.Length; i++) g[i] = (float)rng.Uniform(-1, 1);
        var r = rnn.Forward(x);
        return (rnn, x, r.Output, g);
    }

    [Theory]
    [InlineData(CellType.RnnTanh)]
    [InlineData(CellType.RnnRelu)]
    public void Pascanu_omega_matches_a_float64_jacobian_computation(CellType cell)
    {
        int T = 5, B = 2, H = 4;
        var (rnn, _, output, gOut) = RnnCase(cell, T, B, H);
        var pen = new PascanuRegularizer(0f);
        double omega = pen.Apply(0, rnn, new float[B * H], output.Span, gOut, T, B);

        // Reference: δ_t = g_t + δ_{t+1}·J_{t+1}, J_t = diag(f′(h_t))·W; Ω = (1/B) Σ_b Σ_t (‖δ_t J_t‖/‖δ_t‖ − 1)².
        var W = rnn["weight_hh_l0"].Value;
        var o = output.Span;
        double want = 0;
        for (int b = 0; b < B; b++)
        {
            var next = new double[H]; // δ_{t+1}·J_{t+1}
            for (int t = T - 1; t >= 0; t--)
            {
                var delta = new double[H];
                for (int j = 0; j < H; j++) delta[j] = gOut[(t * B + b) * H + j] + next[j];
                var v = new double[H];
                for (int j = 0; j < H; j++)
                    for (int i = 0; i < H; i++)
                    {
                        double h = o[(t * B + b) * H + i];
                        double fp = cell == CellType.RnnTanh ? 1 - h * h : (h > 0 ? 1 : 0);
                        v[j] += delta[i] * fp * W[i, j];
                    }
                double r = Math.Sqrt(v.Sum(z => z * z)) / Math.Sqrt(delta.Sum(z => z * z));
                want += (r - 1) * (r - 1);
                next = v;
            }
        }
        Assert.Equal(want / B, omega, 4);
    }

    [Fact]
    public void Pascanu_delta_recursion_agrees_with_the_layers_backward()
    {
        // a_0·W_hh (what Ω's sweep computes for the transition out of h0) must equal the layer's ∂L/∂h0.
        int T = 6, B = 3, H = 5;
        var (rnn, _, output, gOut) = RnnCase(CellType.RnnTanh, T, B, H);
        rnn.ZeroGrad();
        var dh0 = rnn.Backward(new Tensor(gOut, T, B, H)).H0;
        // recompute the sweep here the regulariser's way
        var W = rnn["weight_hh_l0"].Value.Span;
        var a = new float[B * H];
        var next = new float[B * H];
        for (int t = T - 1; t >= 0; t--)
        {
            for (int i = 0; i < B * H; i++)
            {
                float h = output.Span[t * B * H + i];
                a[i] = (gOut[t * B * H + i] + next[i]) * (1 - h * h);
            }
            Gemm.Sgemm(Op.None, Op.None, B, H, H, 1f, a, H, W, H, 0f, next, H);
        }
        for (int i = 0; i < B * H; i++) Assert.Equal(dh0[i], next[i], 4);
    }

    [Fact]
    public void Pascanu_gradient_matches_finite_differences_with_delta_held_constant()
    {
        int T = 4, B = 2, H = 3;
        float lambda = 0.7f;
        var (rnn, _, output, gOut) = RnnCase(CellType.RnnTanh, T, B, H);
        var w = rnn["weight_hh_l0"];
        // a_t (= δ_t ⊙ f′) as the regulariser computes them, then frozen
        var a = new double[T * B * H];
        var dn = new double[T * B];
        var o = output.Span;
        {
            var next = new double[B * H];
            for (int t = T - 1; t >= 0; t--)
            {
                for (int b = 0; b < B; b++)
                {
                    double s = 0;
                    for (int j = 0; j < H; j++)
                    {
                        int i = (t * B + b) * H + j;
                        double d = gOut[i] + next[b * H + j];
                        s += d * d;
                        double h = o[i];
                        a[i] = d * (1 - h * h);
                    }
                    dn[t * B + b] = Math.Sqrt(s);
                }
                next = new double[B * H];
                for (int b = 0; b < B; b++)
                    for (int j = 0; j < H; j++)
                        for (int i = 0; i < H; i++) next[b * H + j] += a[(t * B + b) * H + i] * w.Value[i, j];
            }
        }
        double Omega(double[] W)
        {
            double s = 0;
            for (int r = 0; r < T * B; r++)
            {
                double vv = 0;
                for (int j = 0; j < H; j++)
                {
                    double v = 0;
                    for (int i = 0; i < H; i++) v += a[r * H + i] * W[i * H + j];
                    vv += v * v;
                }
                double ratio = Math.Sqrt(vv) / dn[r];
                s += (ratio - 1) * (ratio - 1);
            }
            return lambda * s / B;
        }
        rnn.ZeroGrad();
        new PascanuRegularizer(lambda).Apply(0, rnn, new float[B * H], o, gOut, T, B);
        var W64 = w.Value.Span.ToArray().Select(v => (double)v).ToArray();
        for (int k = 0; k < W64.Length; k++)
        {
            double keep = W64[k];
            W64[k] = keep + 1e-6; double fp = Omega(W64);
            W64[k] = keep - 1e-6; double fm = Omega(W64);
            W64[k] = keep;
            Assert.Equal((fp - fm) / 2e-6, w.Grad[k], 3);
        }
    }
}
