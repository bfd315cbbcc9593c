using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Recur.Kernels;

/// <summary>
/// Matrix-vector products for tiny batches (streaming, generation): <c>y[m, n] = x[m, k] · W[n, k]ᵀ + beta·y</c>
/// with W stored row-major (PyTorch's weight layout), so each output is one contiguous dot product.
/// Packing W for a GEMM would cost more than the product itself at m ≤ 4.
/// </summary>
public static class Gemv
{
    /// <summary>Largest m this kernel is meant for; beyond it a packed GEMM wins.</summary>
    public const int MaxRows = 4;

    public static void MultiplyTransposed(int m, int n, int k, ReadOnlySpan<float> x, int ldx,
        ReadOnlySpan<float> w, int ldw, float beta, Span<float> y, int ldy)
    {
        Gemm.Validate(Op.None, Op.Transpose, m, n, k, x.Length, ldx, w.Length, ldw, y.Length, ldy);
        for (int i = 0; i < m; i++)
        {
            var xr = x.Slice(i * ldx, k);
            var yr = y.Slice(i * ldy, n);
            int j = 0;
            for (; j <= n - 4; j += 4)
            {
                Dot4(xr, w.Slice(j * ldw), ldw, k, out float d0, out float d1, out float d2, out float d3);
                if (beta == 0f) { yr[j] = d0; yr[j + 1] = d1; yr[j + 2] = d2; yr[j + 3] = d3; }
                else { yr[j] = beta * yr[j] + d0; yr[j + 1] = beta * yr[j + 1] + d1; yr[j + 2] = beta * yr[j + 2] + d2; yr[j + 3] = beta * yr[j + 3] + d3; }
            }
            for (; j < n; j++)
            {
                float d = Dot(xr, w.Slice(j * ldw, k));
                yr[j] = beta == 0f ? d : beta * yr[j] + d;
            }
        }
    }

    /// <summary>Four dot products of x with four consecutive rows of W (x read once per chunk).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot4(ReadOnlySpan<float> x, ReadOnlySpan<float> w, int ldw, int k,
        out float d0, out float d1, out float d2, out float d3)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float w0 = ref MemoryMarshal.GetReference(w);
        ref float w1 = ref Unsafe.Add(ref w0, ldw);
        ref float w2 = ref Unsafe.Add(ref w0, 2 * ldw);
        ref float w3 = ref Unsafe.Add(ref w0, 3 * ldw);
        _ = w[3 * ldw + k - 1]; // bounds check once for the unchecked reads below
        var a0 = Vector<float>.Zero; var a1 = Vector<float>.Zero; var a2 = Vector<float>.Zero; var a3 = Vector<float>.Zero;
        int v = Vector<float>.Count, p = 0;
        for (; p <= k - v; p += v)
        {
            var xv = Vector.LoadUnsafe(ref xr, (nuint)p);
            a0 = Vector.FusedMultiplyAdd(xv, Vector.LoadUnsafe(ref w0, (nuint)p), a0);
            a1 = Vector.FusedMultiplyAdd(xv, Vector.LoadUnsafe(ref w1, (nuint)p), a1);
            a2 = Vector.FusedMultiplyAdd(xv, Vector.LoadUnsafe(ref w2, (nuint)p), a2);
            a3 = Vector.FusedMultiplyAdd(xv, Vector.LoadUnsafe(ref w3, (nuint)p), a3);
        }
        d0 = Vector.Sum(a0); d1 = Vector.Sum(a1); d2 = Vector.Sum(a2); d3 = Vector.Sum(a3);
        for (; p < k; p++)
        {
            float xp = Unsafe.Add(ref xr, p);
            d0 += xp * Unsafe.Add(ref w0, p); d1 += xp * Unsafe.Add(ref w1, p);
            d2 += xp * Unsafe.Add(ref w2, p); d3 += xp * Unsafe.Add(ref w3, p);
        }
    }

    private static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> w)
        => System.Numerics.Tensors.TensorPrimitives.Dot(x, w);
}
