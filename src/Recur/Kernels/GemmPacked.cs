
namespace Recur.Kernels;

/// <summary>
/// op(B) <c>[K, N]</c> (float32) packed once into the micro-kernel's panel layout, for a right-hand
/// operand used by many GEMM calls (a recurrent layer's <c>W_hhᵀ</c>, once per time step). Create with
/// <see cref="Gemm.PackB"/>, multiply with
/// <see cref="Gemm.Sgemm(Op, int, float, ReadOnlySpan{float}, int, PackedMatrix, float, Span{float}, int)"/>,
/// refresh after a weight update with <see cref="Repack"/>. Owns its (pinned, aligned) buffer.
/// Not safe to repack while another thread multiplies with it.
/// </summary>
public sealed unsafe class PackedMatrix
{
    private float[] _storage = [];

    internal PackedMatrix() { }

    /// <summary>Rows of op(B) (the inner dimension of the product).</summary>
    public int K { get; private set; }

    /// <summary>Columns of op(B) (columns of C).</summary>
    public int N { get; private set; }

    /// <summary>The micro-kernel this packing is laid out for (resolved when packed).</summary>
    public GemmKernel Kernel { get; private set; }

    internal float* Pointer { get; private set; }

    /// <summary>
    /// Packs op(B) again in place, e.g. after the optimizer changed the weights. Reuses the buffer when
    /// it is large enough (always for the same shape); picks up the current <see cref="Gemm.Kernel"/>.
    /// </summary>
    /// <param name="opB">B as stored (<c>[K, N]</c>, ldb ≥ N) or transposed (stored <c>[N, K]</c>, ldb ≥ K).</param>
    public void Repack(Op opB, int k, int n, ReadOnlySpan<float> b, int ldb)
    {
        if (k < 0 || n < 0) throw new ArgumentException($"gemm: negative size K={k} N={n}");
        int bRows = opB == Op.None ? k : n, bCols = opB == Op.None ? n : k;
        Gemm.CheckOperand("B", bRows, bCols, ldb, b.Length, k > 0 && n > 0);
        var kernel = Gemm.ActiveKernel;
        var spec = Gemm.Spec<float>(kernel);
        int nr = spec.NR, kcMax = spec.KC;
        long nPadded = (n + nr - 1) / nr * nr;
        long size = Math.Max(1, k * nPadded);
        if (size > Array.MaxLength - 64) throw new ArgumentException($"gemm: packed B [{k}, {n}] is too large");
        if (_storage.Length < size + 64) Pointer = PackBuffers<float>.Aligned((int)size, out _storage);
        // Layout: for each KC block of rows (from pc), ⌈N/NR⌉ micro-panels of kc×NR at pc·nPadded.
        fixed (float* pb = b)
            for (int pc = 0; pc < k; pc += kcMax)
            {
                int kc = Math.Min(kcMax, k - pc);
                GemmPacking.PackB(opB, pb, ldb, pc, kc, 0, n, nr, Pointer + pc * nPadded);
            }
        K = k; N = n; Kernel = kernel;
    }
}
