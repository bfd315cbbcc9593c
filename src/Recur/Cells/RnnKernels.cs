using System.Numerics.Tensors;
using Recur.Kernels;

namespace Recur.Cells;

/// <summary>Elman RNN per-step kernels: h = tanh(a) or max(0, a), a = x W_ihᵀ + b_ih + h₋ W_hhᵀ + b_hh.</summary>
internal static class RnnKernels
{
    /// <param name="a">[B, H] pre-activations, in place → h_t (the activations, kept for backward).</param>
    /// <param name="h">[B, H] out: h_t, or h₋ for rows past their length.</param>
    public static void Forward(CellType cell, int batch, int hidden, Span<float> a, ReadOnlySpan<float> hPrev,
        Span<float> h, int t, ReadOnlySpan<int> lengths)
    {
        if (cell == CellType.RnnRelu) TensorPrimitives.Max(a, 0f, a); else VectorMath.Tanh(a, a);
        a.CopyTo(h);
        if (lengths.IsEmpty) return;
        for (int b = 0; b < batch; b++)
            if (t >= lengths[b]) hPrev.Slice(b * hidden, hidden).CopyTo(h.Slice(b * hidden, hidden));
    }

    /// <summary>dA = dh⊙(1 − h²) (tanh) or dh⊙[h &gt; 0] (relu); invalid rows get dA = 0.</summary>
    public static void Backward(CellType cell, int batch, int hidden, ReadOnlySpan<float> act, ReadOnlySpan<float> dh,
        Span<float> dA, int t, ReadOnlySpan<int> lengths)
    {
        if (cell == CellType.RnnRelu) Kernels.Elementwise.ReluBackward(act, dh, dA);
        else Kernels.Elementwise.TanhBackward(act, dh, dA);
        if (lengths.IsEmpty) return;
        for (int b = 0; b < batch; b++)
            if (t >= lengths[b]) dA.Slice(b * hidden, hidden).Clear();
    }
}
