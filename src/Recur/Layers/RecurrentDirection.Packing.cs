using Recur.Cells;
using Recur.Kernels;

namespace Recur.Layers;

internal sealed partial class RecurrentDirection
{
    // The per-step products' right-hand operands (W_hhᵀ, W_hr …) packed once per sweep instead of once per
    // step. Forward packs are refreshed at every Forward (and streaming step) with a batch above Gemv.MaxRows;
    // backward packs at every Backward, since an optimizer may have changed the weights in between.
    private PackedMatrix? _packedHhT, _packedHnT, _packedHrT, _packedHh, _packedHn, _packedHr;

    private static PackedMatrix Pack(ref PackedMatrix? slot, Op op, int k, int n, ReadOnlySpan<float> b, int ldb)
    {
        if (slot is null) slot = Gemm.PackB(op, k, n, b, ldb);
        else slot.Repack(op, k, n, b, ldb);
        return slot;
    }

    /// <summary>Packs W_hhᵀ (and W_hrᵀ) for the forward steps, unless the batch is small enough for dot products.</summary>
    private void PackForward(int batch)
    {
        if (batch <= Gemv.MaxRows) return;
        int H = _hidden, Ho = _stateSize, GH = _gates * H;
        var wHh = _wHh.Value.Span;
        switch (_cell)
        {
            case CellType.GruResetBefore:
                Pack(ref _packedHhT, Op.Transpose, H, 2 * H, wHh, H);                    // [W_hr; W_hz]ᵀ
                Pack(ref _packedHnT, Op.Transpose, H, H, wHh.Slice(2 * H * H), H);      // W_hnᵀ
                break;
            default:
                Pack(ref _packedHhT, Op.Transpose, Ho, GH, wHh, Ho);
                if (_proj > 0) Pack(ref _packedHrT, Op.Transpose, H, _proj, _wHr!.Value.Span, H);
                break;
        }
    }

    /// <summary>Packs W_hh (and W_hr) as used by the reverse sweep: dh₋ = dA · W_hh.</summary>
    private void PackBackward()
    {
        int H = _hidden, Ho = _stateSize, GH = _gates * H;
        var wHh = _wHh.Value.Span;
        switch (_cell)
        {
            case CellType.GruResetBefore:
                Pack(ref _packedHh, Op.None, 2 * H, H, wHh, H);                         // [W_hr; W_hz]
                Pack(ref _packedHn, Op.None, H, H, wHh.Slice(2 * H * H), H);           // W_hn
                break;
            default:
                Pack(ref _packedHh, Op.None, GH, Ho, wHh, Ho);
                if (_proj > 0) Pack(ref _packedHr, Op.None, _proj, H, _wHr!.Value.Span, H);
                break;
        }
    }

    /// <summary>y[m, n] = x[m, k] · W[n, k]ᵀ + beta·y: dot products for tiny batches, else the packed Wᵀ
    /// (<paramref name="packed"/>, from <see cref="PackForward"/>).</summary>
    private static void ProductT(int m, int n, int k, ReadOnlySpan<float> x, int ldx, PackedMatrix? packed,
        ReadOnlySpan<float> w, int ldw, float beta, Span<float> y, int ldy)
    {
        if (m <= Gemv.MaxRows || packed is null) MultiplyTransposed(m, n, k, x, ldx, w, ldw, beta, y, ldy);
        else Gemm.Sgemm(Op.None, m, 1f, x, ldx, packed, beta, y, ldy);
    }

    /// <summary>y[m, N] = x[m, K] · B + beta·y with B packed by <see cref="PackBackward"/>.</summary>
    private static void Product(int m, ReadOnlySpan<float> x, int ldx, PackedMatrix packed, float beta, Span<float> y, int ldy)
        => Gemm.Sgemm(Op.None, m, 1f, x, ldx, packed, beta, y, ldy);
}
