namespace Recur.Kernels;

public static partial class Gemm
{
    // Placeholder core: a plain loop nest, correct for all cases. The packed,
    // register-blocked implementation replaces these two methods.
    private static void SgemmCore(Op opA, Op opB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * ldc, n);
            if (beta == 0f) row.Clear(); else if (beta != 1f) for (int j = 0; j < n; j++) row[j] *= beta;
            if (k == 0 || alpha == 0f) continue;
            for (int p = 0; p < k; p++)
            {
                float av = alpha * (opA == Op.None ? a[i * lda + p] : a[p * lda + i]);
                if (opB == Op.None)
                {
                    var brow = b.Slice(p * ldb, n);
                    for (int j = 0; j < n; j++) row[j] += av * brow[j];
                }
                else
                {
                    for (int j = 0; j < n; j++) row[j] += av * b[j * ldb + p];
                }
            }
        }
    }

    private static void DgemmCore(Op opA, Op opB, int m, int n, int k, double alpha,
        ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb,
        double beta, Span<double> c, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * ldc, n);
            if (beta == 0) row.Clear(); else if (beta != 1) for (int j = 0; j < n; j++) row[j] *= beta;
            if (k == 0 || alpha == 0) continue;
            for (int p = 0; p < k; p++)
            {
                double av = alpha * (opA == Op.None ? a[i * lda + p] : a[p * lda + i]);
                for (int j = 0; j < n; j++) row[j] += av * (opB == Op.None ? b[p * ldb + j] : b[j * ldb + p]);
            }
        }
    }
}
