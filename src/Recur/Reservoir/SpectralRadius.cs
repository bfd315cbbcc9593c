using System.Numerics.Tensors;
using MathNet.Numerics.LinearAlgebra;
using Recur.Kernels;

namespace Recur.Reservoir;

/// <summary>What <see cref="SpectralRadius.Estimate"/> found.</summary>
/// <param name="Radius">The largest eigenvalue magnitude found, |θ|.</param>
/// <param name="RelativeResidual">‖A·Y − Y·Θ‖ / (|θ|·‖Y‖) for the top Ritz pair's real invariant subspace Y.</param>
/// <param name="MatVecs">Sparse matrix-vector products spent.</param>
/// <param name="Cycles">Restart cycles run.</param>
/// <param name="Converged">Whether the residual or the change of |θ| fell below the tolerance.</param>
public readonly record struct SpectralRadiusResult(double Radius, double RelativeResidual, int MatVecs, int Cycles, bool Converged);

/// <summary>
/// The spectral radius ρ(A) = max |λ| of a sparse (non-symmetric) matrix.
/// <para>A random reservoir matrix has complex eigenvalues filling a disc, crowded at its rim
/// (the circular law), so power iteration, which needs one dominant real eigenvalue, does not
/// converge. We use a thick-restarted Krylov projection (Rayleigh–Ritz, in the spirit of
/// Krylov–Schur): a basis V of <c>subspace</c> orthonormal vectors, the projected matrix
/// H = Vᵀ·A·V, its eigenvalues (MathNet's dense non-symmetric solver on the small H), then a
/// restart that keeps the real invariant subspace of the <c>keep</c> largest Ritz values and grows
/// it again with Krylov vectors from the top Ritz vector's residual.</para>
/// </summary>
public static class SpectralRadius
{
    public static SpectralRadiusResult Estimate(SparseMatrix a, int subspace = 60, int keep = 20,
        int maxCycles = 200, double tolerance = 1e-10, int seed = 12345)
    {
        if (a.Rows != a.Cols) throw new ArgumentException($"spectral radius: matrix must be square, is [{a.Rows}, {a.Cols}]");
        int n = a.Rows;
        if (n == 0) return new SpectralRadiusResult(0, 0, 0, 0, true);
        int m = Math.Min(subspace, n);
        keep = Math.Clamp(keep, 1, Math.Max(1, m - 2));
        if (m <= 2 || n <= 64)
        {
            // Small: the dense solver is exact and cheap.
            return new SpectralRadiusResult(Dense(a.ToDense(), n), 0, 0, 0, true);
        }

        var rng = new Random(seed);
        var v = new double[m * n];   // basis, one vector per row
        var av = new double[m * n];  // A·v_j, one per row
        var h = new double[m * m];
        int matvecs = 0;

        // First cycle: a single random start vector.
        for (int i = 0; i < n; i++) v[i] = rng.NextDouble() - 0.5;
        Normalize(v.AsSpan(0, n));
        int have = 1;
        double prev = double.NaN, radius = 0, residual = double.PositiveInfinity;
        int stable = 0, cycle = 0;
        bool converged = false;

        for (cycle = 1; cycle <= maxCycles; cycle++)
        {
            // A·v for the vectors carried over, then grow the basis by Krylov steps.
            for (int j = 0; j < have; j++) { a.Multiply(v.AsSpan(j * n, n), av.AsSpan(j * n, n)); matvecs++; }
            // Grow from the first vector (the start vector, later the top Ritz vector): orthogonalizing A·q0
            // against the kept subspace leaves the direction of its residual, then ordinary Arnoldi steps.
            for (int j = have; j < m; j++)
            {
                var next = v.AsSpan(j * n, n);
                av.AsSpan((j == have ? 0 : j - 1) * n, n).CopyTo(next);
                if (!Orthogonalize(v, j, n, next))
                {
                    for (int i = 0; i < n; i++) next[i] = rng.NextDouble() - 0.5;
                    if (!Orthogonalize(v, j, n, next)) { m = j; break; }
                }
                a.Multiply(next, av.AsSpan(j * n, n)); matvecs++;
            }

            // H = V·(A·V)ᵀ, H[i, j] = v_i · A v_j.
            Gemm.Dgemm(Op.None, Op.Transpose, m, m, n, 1.0, v, n, av, n, 0.0, h, m);
            var hm = Matrix<double>.Build.Dense(m, m, (i, j) => h[i * m + j]);
            var evd = hm.Evd(Symmetricity.Asymmetric);
            var lambda = evd.EigenValues;
            var order = Enumerable.Range(0, m).OrderByDescending(i => lambda[i].Magnitude).ThenBy(i => i).ToArray();
            radius = lambda[order[0]].Magnitude;

            // Residual of the top pair: columns of S spanning its real invariant subspace (one column for a real
            // eigenvalue, Re and Im parts in two columns for a complex pair: MathNet's block-diagonal D form).
            int top = order[0];
            int c0 = top, width = 1;
            if (lambda[top].Imaginary != 0)
            {
                width = 2;
                c0 = (top + 1 < m && evd.D[top, top + 1] != 0) ? top : top - 1;
            }
            residual = PairResidual(evd.EigenVectors, evd.D, c0, width, v, av, n, m) / Math.Max(radius, double.Epsilon);

            if (!double.IsNaN(prev) && Math.Abs(radius - prev) <= tolerance * radius) stable++; else stable = 0;
            prev = radius;
            if (residual <= tolerance || stable >= 3) { converged = true; break; }

            // Restart: the real invariant subspace of the `keep` largest Ritz values (pairs kept whole), top first.
            var cols = new List<int>();
            foreach (int i in order)
            {
                if (cols.Count >= keep) break;
                if (cols.Contains(i)) continue;
                if (lambda[i].Imaginary != 0)
                {
                    int b0 = (i + 1 < m && evd.D[i, i + 1] != 0) ? i : i - 1;
                    if (!cols.Contains(b0)) cols.Add(b0);
                    if (!cols.Contains(b0 + 1)) cols.Add(b0 + 1);
                }
                else cols.Add(i);
            }
            var s = evd.EigenVectors;
            var y = new double[cols.Count * n];
            for (int c = 0; c < cols.Count; c++)
            {
                var yc = y.AsSpan(c * n, n);
                for (int j = 0; j < m; j++)
                {
                    double w = s[j, cols[c]];
                    if (w != 0) TensorPrimitives.MultiplyAdd(v.AsSpan(j * n, n), w, yc, yc);
                }
            }
            have = 0;
            for (int c = 0; c < cols.Count; c++)
            {
                var dst = v.AsSpan(have * n, n);
                y.AsSpan(c * n, n).CopyTo(dst);
                if (Orthogonalize(v, have, n, dst)) have++;
            }
            if (have == 0) { for (int i = 0; i < n; i++) v[i] = rng.NextDouble() - 0.5; Normalize(v.AsSpan(0, n)); have = 1; }
            m = Math.Min(subspace, n);
        }
        return new SpectralRadiusResult(radius, residual, matvecs, Math.Min(cycle, maxCycles), converged);
    }

    /// <summary>‖A·Y − Y·D₂‖_F / ‖Y‖_F with Y = V·S[:, c0..c0+width), D₂ the matching block of D.</summary>
    private static double PairResidual(Matrix<double> s, Matrix<double> d, int c0, int width,
        double[] v, double[] av, int n, int m)
    {
        var y = new double[width * n];
        var ay = new double[width * n];
        for (int c = 0; c < width; c++)
            for (int j = 0; j < m; j++)
            {
                double w = s[j, c0 + c];
                if (w == 0) continue;
                TensorPrimitives.MultiplyAdd(v.AsSpan(j * n, n), w, y.AsSpan(c * n, n), y.AsSpan(c * n, n));
                TensorPrimitives.MultiplyAdd(av.AsSpan(j * n, n), w, ay.AsSpan(c * n, n), ay.AsSpan(c * n, n));
            }
        double num = 0, den = 0;
        for (int c = 0; c < width; c++)
        {
            for (int i = 0; i < n; i++)
            {
                double yd = 0;
                for (int e = 0; e < width; e++) yd += y[e * n + i] * d[c0 + e, c0 + c];
                double r = ay[c * n + i] - yd;
                num += r * r;
                den += y[c * n + i] * y[c * n + i];
            }
        }
        return Math.Sqrt(num / Math.Max(den, double.Epsilon));
    }

    /// <summary>Orthogonalizes <paramref name="x"/> against rows 0..count-1 of <paramref name="basis"/> (twice, modified Gram–Schmidt) and normalizes it. False if it vanished.</summary>
    private static bool Orthogonalize(double[] basis, int count, int n, Span<double> x)
    {
        double before = Math.Sqrt(TensorPrimitives.Dot<double>(x, x));
        if (before == 0 || !double.IsFinite(before)) return false;
        for (int pass = 0; pass < 2; pass++)
            for (int j = 0; j < count; j++)
            {
                var bj = basis.AsSpan(j * n, n);
                double c = TensorPrimitives.Dot<double>(bj, x);
                TensorPrimitives.MultiplyAdd(bj, -c, x, x);
            }
        double after = Math.Sqrt(TensorPrimitives.Dot<double>(x, x));
        if (after <= 1e-10 * before) return false;
        TensorPrimitives.Divide(x, after, x);
        return true;
    }

    private static void Normalize(Span<double> x) => TensorPrimitives.Divide(x, Math.Sqrt(TensorPrimitives.Dot<double>(x, x)), x);

    /// <summary>ρ of a dense row-major n×n matrix with MathNet's dense eigen-solver (O(n³): for tests and small n).</summary>
    public static double Dense(ReadOnlySpan<double> a, int n)
    {
        if (a.Length != n * n) throw new ArgumentException($"spectral radius: dense span has {a.Length} elements, needs {n * n}");
        var copy = a.ToArray();
        var m = Matrix<double>.Build.Dense(n, n, (i, j) => copy[i * n + j]);
        return m.Evd(Symmetricity.Asymmetric).EigenValues.Max(z => z.Magnitude);
    }
}
