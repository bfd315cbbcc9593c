using System.Numerics.Tensors;
using Recur.Kernels;

namespace Recur.Reservoir;

/// <summary>
/// Blocked (right-looking) Cholesky factorization A = L·Lᵀ of a symmetric positive definite float64
/// matrix, row-major, in place in the lower triangle; the trailing updates (almost all the flops) are
/// float64 GEMMs. Then forward and backward substitution. Used by the ridge readout.
/// </summary>
public static class Cholesky
{
    private const int Block = 96;

    /// <summary>Factors in place (lower triangle of <paramref name="a"/> [n, n]). False if A is not numerically positive definite.</summary>
    public static bool Factor(Span<double> a, int n)
    {
        if (a.Length < n * n) throw new ArgumentException($"cholesky: span has {a.Length} elements, [{n}, {n}] needs {n * n}");
        for (int k0 = 0; k0 < n; k0 += Block)
        {
            int kb = Math.Min(Block, n - k0), k1 = k0 + kb;
            // 1. The diagonal block, unblocked (its earlier contributions are already subtracted).
            for (int j = k0; j < k1; j++)
            {
                var rowJ = a.Slice(j * n + k0, j - k0);
                double d = a[j * n + j] - TensorPrimitives.Dot<double>(rowJ, rowJ);
                if (!(d > 0) || !double.IsFinite(d)) return false;
                double ljj = Math.Sqrt(d);
                a[j * n + j] = ljj;
                for (int i = j + 1; i < k1; i++)
                    a[i * n + j] = (a[i * n + j] - TensorPrimitives.Dot<double>(a.Slice(i * n + k0, j - k0), rowJ)) / ljj;
            }
            if (k1 == n) break;
            // 2. The panel below: L21 = A21·L11⁻ᵀ, row by row forward substitution.
            for (int i = k1; i < n; i++)
            {
                var row = a.Slice(i * n + k0, kb);
                for (int j = 0; j < kb; j++)
                {
                    var lj = a.Slice((k0 + j) * n + k0, j);
                    row[j] = (row[j] - TensorPrimitives.Dot<double>(row[..j], lj)) / a[(k0 + j) * n + k0 + j];
                }
            }
            // 3. Trailing update of the lower triangle, block row by block row: A22 −= L21·L21ᵀ.
            for (int i0 = k1; i0 < n; i0 += Block)
            {
                int ib = Math.Min(Block, n - i0);
                Gemm.Dgemm(Op.None, Op.Transpose, ib, i0 + ib - k1, kb, -1.0,
                    a[(i0 * n + k0)..], n, a[(k1 * n + k0)..], n, 1.0, a[(i0 * n + k1)..], n);
            }
        }
        return true;
    }

    /// <summary>Solves L·Lᵀ·X = B in place in <paramref name="b"/> [n, nrhs] row-major, L from <see cref="Factor"/>.</summary>
    public static void Solve(ReadOnlySpan<double> l, int n, Span<double> b, int nrhs)
    {
        if (b.Length < n * nrhs) throw new ArgumentException($"cholesky: right-hand side has {b.Length} elements, needs {n * nrhs}");
        // L·Y = B
        for (int i = 0; i < n; i++)
            for (int r = 0; r < nrhs; r++)
            {
                double s = b[i * nrhs + r];
                for (int k = 0; k < i; k++) s -= l[i * n + k] * b[k * nrhs + r];
                b[i * nrhs + r] = s / l[i * n + i];
            }
        // Lᵀ·X = Y
        for (int i = n - 1; i >= 0; i--)
            for (int r = 0; r < nrhs; r++)
            {
                double s = b[i * nrhs + r];
                for (int k = i + 1; k < n; k++) s -= l[k * n + i] * b[k * nrhs + r];
                b[i * nrhs + r] = s / l[i * n + i];
            }
    }
}
