using System.Numerics.Tensors;
using Recur.Kernels;

namespace Recur.Cells;

/// <summary>Elman RNN per-step kernels: h = tanh(a) or max(0, a), a = x W_ihᵀ + b_ih + h₋ W_hhᵀ + b_hh.</summary>
internal static class RnnKernels
{
    /// <param name="a">[B, H] pre-activations; with <paramref name="keepActivations"/>, in place → the activations
    /// (what a recorder sees as the RNN's gates). Backward reads h_t instead: the same values on valid rows.</param>
    /// <param name="h">[B, H] out: h_t, or h₋ for rows past their length.</param>
    public static void Forward(CellType cell, int batch, int hidden, Span<float> a, ReadOnlySpan<float> hPrev,
        Span<float> h, int t, ReadOnlySpan<int> lengths, bool keepActivations)
    {
        var act = keepActivations ? a : h;   // without a recorder, h_t is written once (no copy of [B, H] per step)
        if (cell == CellType.RnnRelu) TensorPrimitives.Max(a, 0f, act); else VectorMath.Tanh(a, act);
        if (keepActivations) a.CopyTo(h);
        if (lengths.IsEmpty) return;
        for (int b = 0; b < batch; b++)
            if (t >= lengths[b]) hPrev.Slice(b * hidden, hidden).CopyTo(h.Slice(b * hidden, hidden));
    }

    /// <summary>dA = dh⊙(1 − h²) (tanh) or dh⊙[h &gt; 0] (relu) from <paramref name="act"/> = h_t; invalid rows get dA = 0.</summary>
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
