using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Recur.Kernels;

/// <summary>
/// Packing: copies a block of op(A) or op(B) into the contiguous micro-panel order the micro-kernel
/// reads linearly (this is where the transposes are absorbed), zero-padding partial panels so the
/// kernel never needs bounds checks.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// op(A)[i0:i0+mc, p0:p0+kc] → dst as ⌈mc/MR⌉ micro-panels; panel r holds element (i, p) at
    /// r·MR·kc + p·MR + i (an MR-column per k: one broadcast per row in the kernel).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA<T>(Op opA, T* a, int lda, int i0, int mc, int p0, int kc, int mr, T* dst) where T : unmanaged
    {
        for (int ir = 0; ir < mc; ir += mr)
        {
            int mb = Math.Min(mr, mc - ir);
            T* panel = dst + (nint)ir * kc;
            if (opA == Op.Transpose)
            {
                // Stored [K, M]: the MR values of one k are contiguous.
                T* src = a + (nint)p0 * lda + i0 + ir;
                for (int p = 0; p < kc; p++, src += lda)
                {
                    T* d = panel + p * mr;
                    if (mb == mr) Copy(src, d, mr);
                    else
                    {
                        Copy(src, d, mb);
                        new Span<T>(d + mb, mr - mb).Clear();
                    }
                }
            }
            else
            {
                // Stored [M, K]: transpose MR rows into k-major order.
                if (mb < mr) new Span<T>(panel, kc * mr).Clear();
                for (int i = 0; i < mb; i++)
                {
                    T* src = a + (nint)(i0 + ir + i) * lda + p0;
                    T* d = panel + i;
                    int p = 0;
                    for (; p <= kc - 4; p += 4)
                    {
                        d[0] = src[p]; d[mr] = src[p + 1]; d[2 * mr] = src[p + 2]; d[3 * mr] = src[p + 3];
                        d += 4 * mr;
                    }
                    for (; p < kc; p++, d += mr) *d = src[p];
                }
            }
        }
    }

    /// <summary>
    /// op(B)[p0:p0+kc, j0:j0+nc] → dst as ⌈nc/NR⌉ micro-panels; panel q holds element (p, j) at
    /// q·NR·kc + p·NR + j (an NR-row per k: NR/lanes vector loads in the kernel).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB<T>(Op opB, T* b, int ldb, int p0, int kc, int j0, int nc, int nr, T* dst) where T : unmanaged
    {
        for (int jr = 0; jr < nc; jr += nr)
        {
            int nb = Math.Min(nr, nc - jr);
            T* panel = dst + (nint)jr * kc;
            if (opB == Op.None)
            {
                // Stored [K, N]: each k row of the panel is a contiguous copy.
                T* src = b + (nint)p0 * ldb + j0 + jr;
                for (int p = 0; p < kc; p++, src += ldb)
                {
                    T* d = panel + p * nr;
                    Copy(src, d, nb);
                    if (nb < nr) new Span<T>(d + nb, nr - nb).Clear();
                }
            }
            else
            {
                // Stored [N, K]: transpose NR rows into k-major order.
                if (nb < nr) new Span<T>(panel, kc * nr).Clear();
                for (int j = 0; j < nb; j++)
                {
                    T* src = b + (nint)(j0 + jr + j) * ldb + p0;
                    T* d = panel + j;
                    int p = 0;
                    for (; p <= kc - 4; p += 4)
                    {
                        d[0] = src[p]; d[nr] = src[p + 1]; d[2 * nr] = src[p + 2]; d[3 * nr] = src[p + 3];
                        d += 4 * nr;
                    }
                    for (; p < kc; p++, d += nr) *d = src[p];
                }
            }
        }
    }

    /// <summary>Short copy (a panel row: 4–32 elements) without a memmove call per row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy<T>(T* src, T* dst, int count) where T : unmanaged
    {
        byte* s = (byte*)src, d = (byte*)dst;
        nint bytes = (nint)count * sizeof(T), i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 32 <= bytes; i += 32) Vector256.Store(Vector256.Load(s + i), d + i);
        for (; i + 16 <= bytes; i += 16) Vector128.Store(Vector128.Load(s + i), d + i);
        for (; i + 8 <= bytes; i += 8) *(long*)(d + i) = *(long*)(s + i);
        for (; i < bytes; i += 4) *(int*)(d + i) = *(int*)(s + i);
    }
}
