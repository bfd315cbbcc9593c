using MathNet.Numerics.LinearAlgebra;
using Recur.Kernels;

namespace Recur.Reservoir;

/// <summary>
/// Ridge regression (Tikhonov) in float64, accumulated over chunks of collected states:
/// G = Σ zᵀz (the Gram matrix XXᵀ, with the float64 GEMM), B = Σ zᵀy, then
/// W_out = ((G + β·I)⁻¹·B)ᵀ by a blocked Cholesky (<see cref="Cholesky"/>). The Gram matrix is kept, so several β can
/// be solved from one pass over the states (the hyper-parameter search does that).
/// </summary>
public sealed class RidgeReadout
{
    public int Features { get; }
    public int Outputs { get; }
    public long Samples { get; private set; }
    private readonly double[] _gram;   // [Features, Features]
    private readonly double[] _cross;  // [Features, Outputs]

    private const int GramBlock = 128;

    public RidgeReadout(int features, int outputs)
    {
        if (features <= 0 || outputs <= 0) throw new ArgumentException($"ridge: features and outputs must be positive, got {features} and {outputs}");
        Features = features; Outputs = outputs;
        _gram = new double[features * features];
        _cross = new double[features * outputs];
    }

    /// <summary>Adds <paramref name="rows"/> samples: <paramref name="z"/> is [rows, Features] row-major, <paramref name="y"/> [rows, Outputs].</summary>
    public void Accumulate(ReadOnlySpan<double> z, ReadOnlySpan<double> y, int rows)
    {
        if (rows == 0) return;
        if (z.Length < rows * Features || y.Length < rows * Outputs)
            throw new ArgumentException($"ridge: {rows} rows need {rows * Features} features and {rows * Outputs} targets, got {z.Length} and {y.Length}");
        // G is symmetric: only its lower triangle, block row by block row (G[i0:i1, 0:i1] += Z[:, i0:i1]ᵀ·Z[:, 0:i1]),
        // about half the flops of the full product; Solve mirrors it.
        int f = Features;
        for (int i0 = 0; i0 < f; i0 += GramBlock)
        {
            int i1 = Math.Min(f, i0 + GramBlock);
            Gemm.Dgemm(Op.Transpose, Op.None, i1 - i0, i1, rows, 1.0, z[i0..], f, z, f, 1.0, _gram.AsSpan(i0 * f), f);
        }
        Gemm.Dgemm(Op.Transpose, Op.None, Features, Outputs, rows, 1.0, z, Features, y, Outputs, 1.0, _cross, Outputs);
        Samples += rows;
    }

    /// <summary>The accumulated Gram matrix Σ zᵀz [Features, Features] (full, symmetric).</summary>
    public double[] Gram()
    {
        int f = Features;
        var full = (double[])_gram.Clone();
        for (int i = 0; i < f; i++)
            for (int j = i + 1; j < f; j++) full[i * f + j] = full[j * f + i];
        return full;
    }

    /// <summary>The readout W_out [Outputs, Features] row-major for ridge parameter β.</summary>
    public double[] Solve(double beta)
    {
        if (!(beta >= 0) || double.IsInfinity(beta)) throw new ArgumentException($"ridge parameter must be a finite number ≥ 0, got {beta}");
        if (Samples == 0) throw new InvalidOperationException("ridge: no samples accumulated");
        int f = Features;
        // (G + βI)·W = B by our blocked Cholesky (GEMM trailing updates; measured faster than MathNet's),
        // falling back to MathNet's SVD least squares if G + βI is not numerically positive definite (β = 0).
        var l = (double[])_gram.Clone();   // the lower triangle is all Factor reads
        for (int i = 0; i < f; i++) l[i * f + i] += beta;
        var sol = (double[])_cross.Clone();
        if (Cholesky.Factor(l, f)) Cholesky.Solve(l, f, sol, Outputs);
        else
        {
            var g = Matrix<double>.Build.Dense(f, f, Gram());
            for (int i = 0; i < f; i++) g[i, i] += beta;
            var b = Matrix<double>.Build.Dense(f, Outputs, (i, j) => _cross[i * Outputs + j]);
            var w = g.Svd(true).Solve(b);
            for (int i = 0; i < f; i++)
                for (int o = 0; o < Outputs; o++) sol[i * Outputs + o] = w[i, o];
        }
        var result = new double[Outputs * f];
        for (int o = 0; o < Outputs; o++)
            for (int i = 0; i < f; i++) result[o * f + i] = sol[i * Outputs + o];
        return result;
    }
}
