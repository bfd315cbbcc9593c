namespace Recur.Kernels;

/// <summary>Whether a GEMM operand is used as stored or transposed.</summary>
public enum Op
{
    None,
    Transpose,
}

/// <summary>
/// General matrix multiply, row-major: <c>C = alpha·op(A)·op(B) + beta·C</c> with
/// op(A) <c>[M, K]</c>, op(B) <c>[K, N]</c>, C <c>[M, N]</c>. Leading dimensions are the
/// row strides of the stored matrices, so sub-blocks of larger matrices work without copies.
/// <para>Stored shapes: A is <c>[M, K]</c> (lda ≥ K) or, transposed, <c>[K, M]</c> (lda ≥ M);
/// B is <c>[K, N]</c> (ldb ≥ N) or, transposed, <c>[N, K]</c> (ldb ≥ K).</para>
/// <para>beta = 0 overwrites C (NaNs in C do not propagate), as in BLAS.</para>
/// </summary>
public static partial class Gemm
{
    public static void Sgemm(Op opA, Op opB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc)
    {
        Validate(opA, opB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        SgemmCore(opA, opB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    public static void Dgemm(Op opA, Op opB, int m, int n, int k, double alpha,
        ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb,
        double beta, Span<double> c, int ldc)
    {
        Validate(opA, opB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        DgemmCore(opA, opB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    internal static void Validate(Op opA, Op opB, int m, int n, int k,
        int aLength, int lda, int bLength, int ldb, int cLength, int ldc)
    {
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentException($"gemm: negative size M={m} N={n} K={k}");
        int aRows = opA == Op.None ? m : k, aCols = opA == Op.None ? k : m;
        int bRows = opB == Op.None ? k : n, bCols = opB == Op.None ? n : k;
        CheckOperand("A", aRows, aCols, lda, aLength, m > 0 && n > 0 && k > 0);
        CheckOperand("B", bRows, bCols, ldb, bLength, m > 0 && n > 0 && k > 0);
        CheckOperand("C", m, n, ldc, cLength, m > 0 && n > 0);
    }

    private static void CheckOperand(string name, int rows, int cols, int ld, int length, bool used)
    {
        if (ld < Math.Max(1, cols))
            throw new ArgumentException($"gemm: leading dimension of {name} is {ld}, needs at least {cols} (stored [{rows}, {cols}])");
        if (!used) return;
        long needed = (long)(rows - 1) * ld + cols;
        if (length < needed)
            throw new ArgumentException($"gemm: {name} stored [{rows}, {cols}] with leading dimension {ld} needs {needed} elements, span has {length}");
    }
}
