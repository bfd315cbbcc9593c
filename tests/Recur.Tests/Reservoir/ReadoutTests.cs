using Recur.Reservoir;

namespace Recur.Tests.Reservoir;

public sealed class ReadoutTests
{
    [Fact]
    public void Ridge_MatchesClosedForm_OnTwoFeatures()
    {
        // z = [1, x], y = 2x + 1 + small wiggle. (ZᵀZ + βI) w = Zᵀy solved by hand (2×2 inverse).
        double[] x = [0, 1, 2, 3, 5];
        double[] y = [1.1, 2.9, 5.2, 6.8, 11.1];
        const double beta = 0.7;
        var z = new double[x.Length * 2];
        for (int i = 0; i < x.Length; i++) { z[2 * i] = 1; z[2 * i + 1] = x[i]; }
        double s0 = x.Length + beta, s1 = x.Sum(), s2 = x.Sum(v => v * v) + beta;
        double b0 = y.Sum(), b1 = x.Zip(y, (a, b) => a * b).Sum();
        double det = s0 * s2 - s1 * s1;
        double w0 = (s2 * b0 - s1 * b1) / det, w1 = (s0 * b1 - s1 * b0) / det;

        var ridge = new RidgeReadout(2, 1);
        ridge.Accumulate(z.AsSpan(0, 4), y.AsSpan(0, 2), 2);   // in two chunks
        ridge.Accumulate(z.AsSpan(4), y.AsSpan(2), 3);
        var w = ridge.Solve(beta);
        Assert.Equal(w0, w[0], 1e-12);
        Assert.Equal(w1, w[1], 1e-12);
        Assert.Equal(5, ridge.Samples);
    }

    [Fact]
    public void Ridge_RecoversExactLinearMap_WithTinyBeta_AndManyFeatures()
    {
        var rng = new Random(2);
        int f = 300, n = 900, o = 2;   // more than one Gram block (128)
        var wTrue = Enumerable.Range(0, o * f).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var z = Enumerable.Range(0, n * f).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var y = new double[n * o];
        for (int t = 0; t < n; t++)
            for (int k = 0; k < o; k++) { double s = 0; for (int i = 0; i < f; i++) s += wTrue[k * f + i] * z[t * f + i]; y[t * o + k] = s; }
        var ridge = new RidgeReadout(f, o);
        ridge.Accumulate(z, y, n);
        var w = ridge.Solve(1e-10);
        for (int i = 0; i < w.Length; i++) Assert.Equal(wTrue[i], w[i], 1e-7);
        var g = ridge.Gram();
        Assert.Equal(g[5 * f + 200], g[200 * f + 5]);
    }

    [Fact]
    public void Rls_EqualsRidgeWithBetaDelta_AndConvergesToLeastSquares()
    {
        var rng = new Random(9);
        int f = 6, n = 400;
        var wTrue = new[] { 0.5, -1.0, 2.0, 0.0, 0.25, -0.75 };
        var z = new double[n * f];
        var y = new double[n];
        for (int t = 0; t < n; t++)
        {
            for (int i = 0; i < f; i++) z[t * f + i] = i == 0 ? 1 : rng.NextDouble() * 2 - 1;
            double s = 0; for (int i = 0; i < f; i++) s += wTrue[i] * z[t * f + i];
            y[t] = s + 0.01 * (rng.NextDouble() - 0.5);
        }
        const double delta = 0.5;
        var rls = new RlsReadout(f, 1, delta);
        double firstErr = rls.Update(z.AsSpan(0, f), y.AsSpan(0, 1));
        for (int t = 1; t < n; t++) rls.Update(z.AsSpan(t * f, f), y.AsSpan(t, 1));
        var ridge = new RidgeReadout(f, 1);
        ridge.Accumulate(z, y, n);
        var wr = ridge.Solve(delta);
        for (int i = 0; i < f; i++) Assert.Equal(wr[i], rls.Weights[i], 1e-9);
        for (int i = 0; i < f; i++) Assert.Equal(wTrue[i], rls.Weights[i], 0.01);
        Assert.True(firstErr > 0);
        Assert.Throws<ArgumentException>(() => new RlsReadout(f, 1, delta: 0));
    }
}

public sealed class CholeskyTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(95)]
    [InlineData(250)]
    public void BlockedCholesky_SolvesLikeMathNet(int n)
    {
        var rng = new Random(n);
        var m = Enumerable.Range(0, n * n).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double s = i == j ? 0.1 : 0;
                for (int k = 0; k < n; k++) s += m[i * n + k] * m[j * n + k];
                a[i * n + j] = s;
            }
        var b = Enumerable.Range(0, n * 2).Select(_ => rng.NextDouble()).ToArray();
        var expected = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(n, n, (i, j) => a[i * n + j])
            .Solve(MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(n, 2, (i, j) => b[i * 2 + j]));
        var l = (double[])a.Clone();
        for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) l[i * n + j] = double.NaN;  // upper triangle unused
        Assert.True(Cholesky.Factor(l, n));
        Cholesky.Solve(l, n, b, 2);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < 2; j++) Assert.Equal(expected[i, j], b[i * 2 + j], 1e-8 * (1 + Math.Abs(expected[i, j])));
    }

    [Fact]
    public void NotPositiveDefinite_IsReported()
    {
        double[] a = [1, 2, 2, 1];
        Assert.False(Cholesky.Factor(a, 2));
    }
}
