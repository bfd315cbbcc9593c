using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
        if (opA == Op.Transpose)
        {
            // Stored [K, M]: the MR values of one k are contiguous. Eight k-rows at a time across all
            // panels, so the rows (lda apart, often 4 KiB-aliased) stay in L1 while they are consumed.
            for (int pb = 0; pb < kc; pb += 8)
            {
                int pe = Math.Min(kc, pb + 8);
                // The next eight rows' segments (mc values, lda apart): short runs on many rows, which the hardware
                // prefetcher does not follow; for a weight gradient, A (dA, [T·B, G·H]) comes from memory.
                if (Sse.IsSupported)
                    for (int p = pe; p < Math.Min(kc, pe + 8); p++)
                    {
                        byte* row = (byte*)(a + (nint)(p0 + p) * lda + i0);
                        for (nint off = 0; off < (nint)mc * sizeof(T); off += 64) Sse.Prefetch0(row + off);
                    }
                for (int ir = 0; ir < mc; ir += mr)
                {
                    int mb = Math.Min(mr, mc - ir);
                    T* panel = dst + (nint)ir * kc;
                    for (int p = pb; p < pe; p++)
                    {
                        T* src = a + (nint)(p0 + p) * lda + i0 + ir;
                        T* d = panel + p * mr;
                        Copy(src, d, mb);
                        if (mb < mr) new Span<T>(d + mb, mr - mb).Clear();
                    }
                }
            }
            return;
        }
        for (int ir = 0; ir < mc; ir += mr)
        {
            int mb = Math.Min(mr, mc - ir);
            T* panel = dst + (nint)ir * kc;
            // The next panel's rows (kc values each, lda apart), for the same reason as above.
            if (Sse.IsSupported)
                for (int i = ir + mr; i < Math.Min(mc, ir + 2 * mr); i++)
                {
                    byte* row = (byte*)(a + (nint)(i0 + i) * lda + p0);
                    for (nint off = 0; off < (nint)kc * sizeof(T); off += 64) Sse.Prefetch0(row + off);
                }
            // Stored [M, K]: transpose MR rows into k-major order (8×8 register transposes when it can).
            if (mb < mr) new Span<T>(panel, kc * mr).Clear();
            int done = 0;
            if (typeof(T) == typeof(float) && Avx.IsSupported && mb == 8 && mr == 8)
            {
                float* src = (float*)(a + (nint)(i0 + ir) * lda + p0);
                for (; done <= kc - 8; done += 8) Transpose8x8(src + done, lda, (float*)panel + done * 8, 8);
            }
            for (int i = 0; i < mb; i++)
            {
                T* src = a + (nint)(i0 + ir + i) * lda + p0;
                T* d = panel + i + done * mr;
                int p = done;
                for (; p <= kc - 4; p += 4)
                {
                    d[0] = src[p]; d[mr] = src[p + 1]; d[2 * mr] = src[p + 2]; d[3 * mr] = src[p + 3];
                    d += 4 * mr;
                }
                for (; p < kc; p++, d += mr) *d = src[p];
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
                // Stored [N, K]: transpose NR rows into k-major order (8×8 register transposes when it can).
                if (nb < nr) new Span<T>(panel, kc * nr).Clear();
                int j8 = 0, kc8 = kc & ~7;
                if (typeof(T) == typeof(float) && Avx.IsSupported && kc8 > 0)
                    for (; j8 <= nb - 8; j8 += 8)
                    {
                        float* src = (float*)(b + (nint)(j0 + jr + j8) * ldb + p0);
                        for (int p = 0; p < kc8; p += 8) Transpose8x8(src + p, ldb, (float*)panel + p * nr + j8, nr);
                    }
                for (int j = 0; j < nb; j++)
                {
                    T* src = b + (nint)(j0 + jr + j) * ldb + p0;
                    int p = j < j8 ? kc8 : 0;
                    T* d = panel + j + p * nr;
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

    /// <summary>dst[c·ldd + r] = src[r·lds + c] for an 8×8 float block (AVX unpack/shuffle/permute).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, nint lds, float* dst, nint ldd)
    {
        var r0 = Avx.LoadVector256(src); var r1 = Avx.LoadVector256(src + lds);
        var r2 = Avx.LoadVector256(src + 2 * lds); var r3 = Avx.LoadVector256(src + 3 * lds);
        var r4 = Avx.LoadVector256(src + 4 * lds); var r5 = Avx.LoadVector256(src + 5 * lds);
        var r6 = Avx.LoadVector256(src + 6 * lds); var r7 = Avx.LoadVector256(src + 7 * lds);
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20)); Avx.Store(dst + ldd, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * ldd, Avx.Permute2x128(u2, u6, 0x20)); Avx.Store(dst + 3 * ldd, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * ldd, Avx.Permute2x128(u0, u4, 0x31)); Avx.Store(dst + 5 * ldd, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * ldd, Avx.Permute2x128(u2, u6, 0x31)); Avx.Store(dst + 7 * ldd, Avx.Permute2x128(u3, u7, 0x31));
    }
}
