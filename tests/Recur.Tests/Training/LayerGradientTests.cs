using Recur.Cells;
using Recur.Layers;
using Recur.Training;

namespace Recur.Tests.Training;

/// <summary>Finite-difference checks of Embedding, Dense, Dropout, the losses and a whole Sequential char model.</summary>
public class LayerGradientTests
{
    private static float[] Random(Rng rng, int n, double scale = 1)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.Uniform(-1, 1) * scale);
        return a;
    }

    private static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }

    /// <summary>Central difference of f with respect to each element of w, compared with the analytic gradient.</summary>
    private static void CheckFd(string what, Span<float> w, ReadOnlySpan<float> analytic, Func<double> f, float eps, double tol)
    {
        double maxAbs = 1e-3;
        foreach (var g in analytic) maxAbs = Math.Max(maxAbs, Math.Abs(g));
        for (int i = 0; i < w.Length; i++)
        {
            float keep = w[i];
            w[i] = keep + eps; double fp = f();
            w[i] = keep - eps; double fm = f();
            w[i] = keep;
            double fd = (fp - fm) / ((double)(keep + eps) - (double)(keep - eps));
            Assert.True(Math.Abs(fd - analytic[i]) <= tol * maxAbs, $"{what}[{i}]: finite difference {fd}, analytic {analytic[i]}");
        }
    }

    [Fact]
    public void Embedding_gradient_adds_rows_of_repeated_ids()
    {
        var rng = new Rng(1);
        var emb = new Embedding(5, 3, rng);
        int[] ids = [2, 0, 2, 4];
        var gOut = Random(rng, ids.Length * 3);
        var y = new float[ids.Length * 3];
        double L() { emb.Forward(ids, y); return Dot(y, gOut); }
        emb.Weight.ZeroGrad();
        emb.Forward(ids, y);
        emb.Backward(ids, gOut);
        CheckFd("dE", emb.Weight.Value.Span, emb.Weight.Grad.Span.ToArray(), L, 1e-2f, 1e-4);
        Assert.Equal(0f, emb.Weight.Grad[1, 0]); // id 1 unused
    }

    [Fact]
    public void Dense_gradients_match_finite_differences()
    {
        var rng = new Rng(2);
        var d = new Dense(4, 3, rng);
        int rows = 5;
        var x = Random(rng, rows * 4);
        var gOut = Random(rng, rows * 3);
        var y = new float[rows * 3];
        var dx = new float[rows * 4];
        double L() { d.Forward(x, rows, y); return Dot(y, gOut); }
        d.Forward(x, rows, y);
        d.Backward(x, gOut, rows, dx);
        CheckFd("dW", d.Weight.Value.Span, d.Weight.Grad.Span.ToArray(), L, 1e-2f, 1e-4);
        CheckFd("db", d.Bias.Value.Span, d.Bias.Grad.Span.ToArray(), L, 1e-2f, 1e-4);
        CheckFd("dx", x, dx.ToArray(), L, 1e-2f, 1e-4);
    }

    [Fact]
    public void Softmax_cross_entropy_gradient_and_value()
    {
        var rng = new Rng(3);
        int n = 4, c = 6;
        var logits = Random(rng, n * c, 3);
        int[] targets = [0, 5, 2, 2];
        var grad = new float[n * c];
        double loss = SoftmaxCrossEntropy.ForwardBackward(logits, targets, c, grad);
        // value against a direct float64 computation
        double want = 0;
        for (int r = 0; r < n; r++)
        {
            double sum = 0;
            for (int j = 0; j < c; j++) sum += Math.Exp(logits[r * c + j]);
            want += -(logits[r * c + targets[r]] - Math.Log(sum));
        }
        Assert.Equal(want / n, loss, 1e-6);
        var scratch = new float[c];
        CheckFd("dlogits", logits, grad, () => SoftmaxCrossEntropy.Loss(logits, targets, c, scratch), 1e-2f, 1e-3);
        // in place and huge logits stay finite
        var big = new float[] { 1000f, -1000f, 999f };
        double l = SoftmaxCrossEntropy.ForwardBackward(big, [2], 3, big);
        Assert.Equal(1.0 + Math.Log(1 + Math.Exp(-1)), l, 1e-5);
        Assert.All(big, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Mse_gradient_matches_finite_differences()
    {
        var rng = new Rng(4);
        var p = Random(rng, 7);
        var y = Random(rng, 7);
        var g = new float[7];
        double loss = MeanSquaredError.ForwardBackward(p, y, g);
        Assert.Equal(MeanSquaredError.Loss(p, y), loss, 1e-9);
        CheckFd("dp", p, g, () => MeanSquaredError.Loss(p, y), 1e-2f, 1e-4);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Dropout_with_a_fixed_mask_passes_gradients_through_the_mask(bool variational)
    {
        var rng = new Rng(5);
        int T = 3, B = 2, F = 4;
        var drop = new Dropout(0.5f, variational);
        var x = Random(rng, T * B * F);
        var gOut = Random(rng, T * B * F);
        int n = variational ? B * F : T * B * F;
        var mask = new float[n];
        for (int i = 0; i < n; i++) mask[i] = i % 3 == 0 ? 0f : 2f;
        var y = new float[x.Length];
        double L() { drop.ForwardWithMask(x, y, T, B, F, mask); return Dot(y, gOut); }
        drop.ForwardWithMask(x, y, T, B, F, mask);
        var dx = new float[x.Length];
        drop.Backward(gOut, dx);
        CheckFd("dx", x, dx, L, 1e-2f, 1e-4);
        if (variational) Assert.Equal(y[0 * B * F + 1] / x[1], y[2 * B * F + 1] / x[2 * B * F + 1], 1e-5);
    }

    [Fact]
    public void Dropout_draws_a_mask_in_training_and_is_the_identity_at_inference()
    {
        var drop = new Dropout(0.25f, variational: true);
        int T = 4, B = 8, F = 16;
        var x = Enumerable.Repeat(1f, T * B * F).ToArray();
        var y = new float[x.Length];
        drop.Forward(x, y, T, B, F, training: false, new Rng(1));
        Assert.Equal(x, y);
        drop.Forward(x, y, T, B, F, training: true, new Rng(1));
        Assert.All(y, v => Assert.True(v == 0f || Math.Abs(v - 1f / 0.75f) < 1e-6));
        int zeros = y.Take(B * F).Count(v => v == 0f);
        Assert.InRange(zeros, 10, 60); // ~32 of 128
        for (int t = 1; t < T; t++) Assert.Equal(y.Take(B * F), y.Skip(t * B * F).Take(B * F)); // same mask every step
    }

    [Theory]
    [InlineData(CellType.Lstm, false)]
    [InlineData(CellType.Gru, true)]
    [InlineData(CellType.RnnTanh, false)]
    public void Whole_char_model_gradient_matches_finite_differences(CellType cell, bool split)
    {
        var rng = new Rng(6);
        int V = 5, T = 4, B = 2;
        var net = new Sequential(new SequentialOptions(cell, 3, 4, 2, V, VocabSize: V, SplitLayers: split), rng);
        int[] x = [0, 1, 2, 3, 4, 0, 1, 1];
        int[] y = [1, 2, 3, 4, 0, 1, 1, 2];
        var h = net.CreateState(B);
        for (int i = 0; i < h.H.Length; i++) { var s = h.H[i].Span; for (int j = 0; j < s.Length; j++) s[j] = 0.1f * (j % 5) - 0.2f; }
        var h0 = h.H.Select(t => t.Clone()).ToArray();
        var c0 = h.C.Select(t => t?.Clone()).ToArray();
        void Restore() { for (int i = 0; i < h0.Length; i++) { h0[i].Span.CopyTo(h.H[i].Span); c0[i]?.Span.CopyTo(h.C[i]!.Span); } }
        var scratch = new float[V];
        double L() { Restore(); return SoftmaxCrossEntropy.Loss(net.Forward(x, T, B, h), y, V, scratch); }
        net.ZeroGrad();
        Restore();
        var logits = net.Forward(x, T, B, h);
        SoftmaxCrossEntropy.ForwardBackward(logits, y, V, logits);
        net.Backward(logits);
        foreach (var (name, p) in net.NamedParameters)
            CheckFd(name, p.Value.Span, p.Grad.Span.ToArray(), L, 1e-2f, 3e-3);
    }
}
