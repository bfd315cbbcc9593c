using CsCheck;
using Recur.Reservoir;

namespace Recur.Tests.Reservoir;

public sealed class SparseAndSpectralTests
{
    private static double[] DenseMatVec(double[] a, int rows, int cols, double[] x)
    {
        var y = new double[rows];
        for (int i = 0; i < rows; i++) { double s = 0; for (int j = 0; j < cols; j++) s += a[i * cols + j] * x[j]; y[i] = s; }
        return y;
    }

    [Fact]
    public void SparseMatVec_MatchesDense_ForRandomShapesAndDensities()
    {
        Gen.Select(Gen.Int[1, 120], Gen.Double[0.005, 0.6], Gen.Int[0, 1 << 20], Gen.Bool).Sample((n, density, seed, degree) =>
        {
            var rng = new Random(seed);
            var w = SparseMatrix.Random(n, density, degree ? Math.Min(n, 1 + seed % 9) : null, rng);
            var x = Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
            var expected = DenseMatVec(w.ToDense(), n, n, x);
            var y = new double[n];
            w.Multiply(x, y);
            var ys = new double[n];
            w.MultiplyScalar(x, ys, accumulate: false);
            var acc = Enumerable.Repeat(1.0, n).ToArray();
            w.Multiply(x, acc, accumulate: true);
            for (int i = 0; i < n; i++)
            {
                if (Math.Abs(y[i] - expected[i]) > 1e-12 || Math.Abs(ys[i] - expected[i]) > 1e-12 || Math.Abs(acc[i] - 1 - expected[i]) > 1e-12)
                    return false;
            }
            return true;
        }, iter: 200);
    }

    [Fact]
    public void FixedInDegree_GivesExactlyThatManyDistinctColumnsPerRow()
    {
        var w = SparseMatrix.Random(300, 0.5, 7, new Random(5));
        Assert.Equal(300 * 7, w.NonZeros);
        for (int i = 0; i < 300; i++) Assert.Equal(7, w.RowPointers[i + 1] - w.RowPointers[i]);
    }

    [Fact]
    public void FromDense_RoundTrips_AndRejectsBadCsr()
    {
        var d = new double[] { 0, 2, 0, -1, 0, 0, 0, 3, 4 };
        var s = SparseMatrix.FromDense(d, 3, 3);
        Assert.Equal(4, s.NonZeros);
        Assert.Equal(d, s.ToDense());
        Assert.Throws<ArgumentException>(() => new SparseMatrix(2, 2, [0, 1, 1], [5], [1.0]));
        Assert.Throws<ArgumentException>(() => new SparseMatrix(2, 2, [0, 2, 2], [1, 0], [1.0, 2.0]));
    }

    /// <summary>
    /// Block-diagonal 2×2 rotations-with-scaling (eigenvalues r·e^{±iφ}), hidden by a random permutation
    /// similarity (same eigenvalues, sparse, non-symmetric). Magnitudes crowd just below the top one.
    /// </summary>
    private static SparseMatrix KnownSpectrum(int blocks, double top, int seed, out double secondMagnitude)
    {
        int n = 2 * blocks;
        var rng = new Random(seed);
        var dense = new double[n * n];
        secondMagnitude = 0;
        for (int k = 0; k < blocks; k++)
        {
            double r = k == 0 ? top : top * (0.995 - 0.5 * rng.NextDouble());
            if (k > 0) secondMagnitude = Math.Max(secondMagnitude, r);
            double phi = 0.1 + 3.0 * rng.NextDouble();
            double a = r * Math.Cos(phi), b = r * Math.Sin(phi);
            int i = 2 * k;
            dense[i * n + i] = a; dense[i * n + i + 1] = -b;
            dense[(i + 1) * n + i] = b; dense[(i + 1) * n + i + 1] = a;
        }
        var perm = Enumerable.Range(0, n).OrderBy(_ => rng.Next()).ToArray();
        var p = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) p[perm[i] * n + perm[j]] = dense[i * n + j];
        return SparseMatrix.FromDense(p, n, n);
    }

    [Fact]
    public void Estimate_FindsKnownSpectralRadius_OfPermutedRotationBlocks()
    {
        var w = KnownSpectrum(150, 1.7, seed: 3, out double second);
        Assert.True(second < 1.7 && second > 1.6);
        var est = SpectralRadius.Estimate(w);
        Assert.True(est.Converged, est.ToString());
        Assert.Equal(1.7, est.Radius, 1e-8);
        Assert.Equal(1.7, SpectralRadius.Dense(w.ToDense(), w.Rows), 1e-10);
    }

    [Fact]
    public void Estimate_MatchesDenseSolver_OnRandomReservoirMatrix()
    {
        // Eigenvalues fill a disc (circular law): power iteration would not settle here.
        var w = SparseMatrix.Random(300, 0.04, null, new Random(11));
        double exact = SpectralRadius.Dense(w.ToDense(), 300);
        var est = SpectralRadius.Estimate(w);
        Assert.True(Math.Abs(est.Radius - exact) <= 1e-8 * exact, $"estimate {est.Radius:R}, dense {exact:R}");
    }

    [Fact]
    public void EsnRescaling_HitsRequestedSpectralRadius()
    {
        var esn = new EchoStateNetwork(1, 1, new EsnOptions { Units = 300, Density = 0.05, SpectralRadius = 0.87, Seed = 4 });
        double rho = SpectralRadius.Dense(esn.Recurrent.ToDense(), 300);
        Assert.Equal(0.87, rho, 1e-8);
        Assert.Equal(0.87, esn.SpectralRadius);
    }
}
