using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Recur.Kernels;

namespace Recur.Cells;

/// <summary>
/// Fused per-step LSTM kernels over a batch (PyTorch gate order i, f, g, o).
/// Forward:  i = σ(a_i [+ p_i⊙c₋]), f = σ(a_f [+ p_f⊙c₋]), g = tanh(a_g),
///           c = f⊙c₋ + i⊙g, o = σ(a_o [+ p_o⊙c]), m = o⊙tanh(c).   (coupled: i = 1 − f)
/// A row b is valid at time t when <c>lengths</c> is empty or t &lt; lengths[b]; an invalid row
/// keeps its cell state (c = c₋) and, in backward, passes dc through and gets dA = 0.
/// </summary>
internal static class LstmKernels
{
    /// <param name="gates">[B, 4H]: in the pre-activations a, out the activations i, f, g, o.</param>
    /// <param name="cPrev">[B, H] c_{t−1}.</param> <param name="c">[B, H] out c_t.</param>
    /// <param name="tanhC">[B, H] out tanh(c_t).</param> <param name="m">[B, H] out o⊙tanh(c_t).</param>
    /// <param name="peep">p_i, p_f, p_o each [H] (peephole cell only; else empty).</param>
    public static void Forward(CellType cell, int batch, int hidden, Span<float> gates,
        ReadOnlySpan<float> cPrev, Span<float> c, Span<float> tanhC, Span<float> m,
        ReadOnlySpan<float> pI, ReadOnlySpan<float> pF, ReadOnlySpan<float> pO,
        int t, ReadOnlySpan<int> lengths)
        => ForwardUnits(cell, batch, hidden, 0, hidden, gates, cPrev, c, tanhC, m, pI, pF, pO, t, lengths);

    /// <summary><see cref="Forward"/> for hidden units [<paramref name="j0"/>, <paramref name="j1"/>) only
    /// (the gate columns j, H+j, 2H+j, 3H+j of those units): a streaming step splits the units over threads.</summary>
    public static void ForwardUnits(CellType cell, int batch, int hidden, int j0, int j1, Span<float> gates,
        ReadOnlySpan<float> cPrev, Span<float> c, Span<float> tanhC, Span<float> m,
        ReadOnlySpan<float> pI, ReadOnlySpan<float> pF, ReadOnlySpan<float> pO,
        int t, ReadOnlySpan<int> lengths)
    {
        int h = hidden;
        bool peephole = cell == CellType.LstmPeephole, coupled = cell == CellType.LstmCoupled;
        // The vector loops read and write without bounds checks (they cost ≈ 10–20 % of it): check once here.
        if ((uint)j0 > (uint)j1 || j1 > h || gates.Length < batch * 4 * h || cPrev.Length < batch * h || c.Length < batch * h
            || tanhC.Length < batch * h || m.Length < batch * h || (peephole && (pI.Length < h || pF.Length < h || pO.Length < h)))
            throw new ArgumentException($"LSTM gate kernel: units [{j0}, {j1}) of {h}, batch {batch}: a buffer is too short");
        if (!peephole && LstmGates512.IsSupported)
            LstmGates512.ForwardUnits(coupled, batch, h, j0, j1, gates, cPrev, c, tanhC, m, t, lengths);
        else
            ForwardUnitsOnePass(cell, batch, h, j0, j1, gates, cPrev, c, tanhC, m, pI, pF, pO, t, lengths);
    }

    /// <summary>The kernel on <see cref="Vector{T}"/>, one pass per vector of units: every cell without AVX-512, and
    /// the peephole cell (whose o needs c) with it. Lane for lane the same operations as <see cref="LstmGates512"/>.
    /// Buffers checked by the caller.</summary>
    internal static void ForwardUnitsOnePass(CellType cell, int batch, int h, int j0, int j1, Span<float> gates,
        ReadOnlySpan<float> cPrev, Span<float> c, Span<float> tanhC, Span<float> m,
        ReadOnlySpan<float> pI, ReadOnlySpan<float> pF, ReadOnlySpan<float> pO,
        int t, ReadOnlySpan<int> lengths)
    {
        int n = Vector<float>.Count;
        bool peephole = cell == CellType.LstmPeephole, coupled = cell == CellType.LstmCoupled;
        // Rows narrower than one vector go through the same vector code, padded with zeros in this scratch
        // (a scalar tail would call the C library's tanh, ≈ 20 ns per element).
        Span<float> tail = j1 - j0 < n ? stackalloc float[8 * n] : default;
        for (int b = 0; b < batch; b++)
        {
            var a = gates.Slice(b * 4 * h, 4 * h);
            var cp = cPrev.Slice(b * h, h);
            var cr = c.Slice(b * h, h); var tc = tanhC.Slice(b * h, h); var mr = m.Slice(b * h, h);
            if (!lengths.IsEmpty && t >= lengths[b])
            {
                cp[j0..j1].CopyTo(cr[j0..j1]); // padded step: the state is kept
                VectorMath.Tanh(cr[j0..j1], tc[j0..j1]);
                continue;
            }
            // One fused pass per row: no intermediate spans, activations written back over the pre-activations.
            // A partial last vector (H mod n units) is computed first from the pre-activations of the last n units,
            // kept in registers, and stored after the loop: its lanes that the loop also covers get the same values.
            int j = j0, last = j1 - n;
            bool overlapTail = last > j0 && (j1 - j0) % n != 0;
            Vector<float> ti = default, tf = default, tg = default, to = default, tcs = default, ttc = default;
            if (overlapTail)
            {
                ti = new Vector<float>(a.Slice(last)); tf = new Vector<float>(a.Slice(h + last));
                tg = new Vector<float>(a.Slice(2 * h + last)); to = new Vector<float>(a.Slice(3 * h + last));
                var (pi, pf, po) = peephole
                    ? (new Vector<float>(pI.Slice(last)), new Vector<float>(pF.Slice(last)), new Vector<float>(pO.Slice(last)))
                    : default;
                Cell(peephole, coupled, new Vector<float>(cp.Slice(last)), ref ti, ref tf, ref tg, ref to, pi, pf, po, out tcs, out ttc);
            }
            // Element offsets j, h + j, 2h + j, 3h + j of the row, j + n ≤ j1 ≤ h (checked above).
            ref float ra = ref MemoryMarshal.GetReference(a), rcp = ref MemoryMarshal.GetReference(cp);
            ref float rc = ref MemoryMarshal.GetReference(cr), rtc = ref MemoryMarshal.GetReference(tc), rm = ref MemoryMarshal.GetReference(mr);
            nuint uh = (nuint)h;
            for (; j <= j1 - n; j += n)
            {
                nuint u = (nuint)j;
                var cpv = Vector.LoadUnsafe(ref rcp, u);
                var ai = Vector.LoadUnsafe(ref ra, u); var af = Vector.LoadUnsafe(ref ra, uh + u);
                var ag = Vector.LoadUnsafe(ref ra, 2 * uh + u); var ao = Vector.LoadUnsafe(ref ra, 3 * uh + u);
                var (pi, pf, po) = peephole
                    ? (new Vector<float>(pI.Slice(j)), new Vector<float>(pF.Slice(j)), new Vector<float>(pO.Slice(j)))
                    : default;
                Cell(peephole, coupled, cpv, ref ai, ref af, ref ag, ref ao, pi, pf, po, out var cv, out var tcv);
                ai.StoreUnsafe(ref ra, u); af.StoreUnsafe(ref ra, uh + u); ag.StoreUnsafe(ref ra, 2 * uh + u); ao.StoreUnsafe(ref ra, 3 * uh + u);
                cv.StoreUnsafe(ref rc, u); tcv.StoreUnsafe(ref rtc, u); (ao * tcv).StoreUnsafe(ref rm, u);
            }
            if (overlapTail)
            {
                ti.CopyTo(a.Slice(last)); tf.CopyTo(a.Slice(h + last)); tg.CopyTo(a.Slice(2 * h + last)); to.CopyTo(a.Slice(3 * h + last));
                tcs.CopyTo(cr.Slice(last)); ttc.CopyTo(tc.Slice(last)); (to * ttc).CopyTo(mr.Slice(last));
                continue;
            }
            if (j < j1)
            {
                int r = j1 - j;
                tail.Clear();
                // scratch lanes: c₋, a_i, a_f, a_g, a_o, p_i, p_f, p_o
                cp.Slice(j, r).CopyTo(tail);
                for (int q = 0; q < 4; q++) a.Slice(q * h + j, r).CopyTo(tail.Slice((1 + q) * n));
                if (peephole)
                {
                    pI.Slice(j, r).CopyTo(tail.Slice(5 * n)); pF.Slice(j, r).CopyTo(tail.Slice(6 * n)); pO.Slice(j, r).CopyTo(tail.Slice(7 * n));
                }
                var ai = new Vector<float>(tail.Slice(n)); var af = new Vector<float>(tail.Slice(2 * n));
                var ag = new Vector<float>(tail.Slice(3 * n)); var ao = new Vector<float>(tail.Slice(4 * n));
                Cell(peephole, coupled, new Vector<float>(tail), ref ai, ref af, ref ag, ref ao,
                    new Vector<float>(tail.Slice(5 * n)), new Vector<float>(tail.Slice(6 * n)), new Vector<float>(tail.Slice(7 * n)),
                    out var cv, out var tcv);
                ReadOnlySpan<Vector<float>> outs = [ai, af, ag, ao];
                for (int q = 0; q < 4; q++) { outs[q].CopyTo(tail); tail[..r].CopyTo(a.Slice(q * h + j)); }
                cv.CopyTo(tail); tail[..r].CopyTo(cr.Slice(j));
                tcv.CopyTo(tail); tail[..r].CopyTo(tc.Slice(j));
                (ao * tcv).CopyTo(tail); tail[..r].CopyTo(mr.Slice(j));
            }
        }
    }

    /// <summary>One vector of units: pre-activations in <paramref name="i"/>, <paramref name="f"/>,
    /// <paramref name="g"/>, <paramref name="o"/> → activations; the new cell state and its tanh out.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Cell(bool peephole, bool coupled, Vector<float> cPrev, ref Vector<float> i, ref Vector<float> f,
        ref Vector<float> g, ref Vector<float> o, Vector<float> pI, Vector<float> pF, Vector<float> pO,
        out Vector<float> c, out Vector<float> tanhC)
    {
        if (peephole)
        {
            i += pI * cPrev;
            f += pF * cPrev;
        }
        f = VectorMath.Sigmoid(f);
        i = coupled ? Vector<float>.One - f : VectorMath.Sigmoid(i);
        g = VectorMath.Tanh(g);
        c = f * cPrev + i * g;
        tanhC = VectorMath.Tanh(c);
        if (peephole) o += pO * c;
        o = VectorMath.Sigmoid(o);
    }

    /// <summary>
    /// Backward of one step. Given dm = ∂L/∂m_t and dc (in: ∂L/∂c_t from step t+1; out: ∂L/∂c_{t−1}),
    /// writes dA = ∂L/∂a_t [B, 4H] (zero input-gate block for the coupled cell) and accumulates
    /// peephole gradients.
    ///   do = dm⊙tanh(c), dc += dm⊙o⊙(1−tanh²c) [+ dA_o⊙p_o],
    ///   dA_i = dc⊙g⊙i(1−i), dA_f = dc⊙c₋⊙f(1−f), dA_g = dc⊙i⊙(1−g²), dA_o = do⊙o(1−o),
    ///   dc₋ = dc⊙f [+ dA_i⊙p_i + dA_f⊙p_f].   Coupled: dA_f = dc⊙(c₋ − g)⊙f(1−f), dA_i = 0.
    /// </summary>
    public static void Backward(CellType cell, int batch, int hidden, ReadOnlySpan<float> gates,
        ReadOnlySpan<float> cPrev, ReadOnlySpan<float> tanhC, ReadOnlySpan<float> dm, Span<float> dc,
        Span<float> dA, ReadOnlySpan<float> pI, ReadOnlySpan<float> pF, ReadOnlySpan<float> pO,
        Span<float> dpI, Span<float> dpF, Span<float> dpO, ReadOnlySpan<float> c,
        int t, ReadOnlySpan<int> lengths)
    {
        int h = hidden, n = Vector<float>.Count;
        bool peephole = cell == CellType.LstmPeephole, coupled = cell == CellType.LstmCoupled;
        // The vector loop reads and writes without bounds checks: check every buffer once here.
        if (gates.Length < batch * 4 * h || dA.Length < batch * 4 * h || cPrev.Length < batch * h || tanhC.Length < batch * h
            || dm.Length < batch * h || dc.Length < batch * h || c.Length < batch * h
            || (peephole && (pI.Length < h || pF.Length < h || pO.Length < h || dpI.Length < h || dpF.Length < h || dpO.Length < h)))
            throw new ArgumentException($"LSTM backward kernel: batch {batch}, H = {h}: a buffer is too short");
        for (int b = 0; b < batch; b++)
        {
            var da = dA.Slice(b * 4 * h, 4 * h);
            if (!lengths.IsEmpty && t >= lengths[b])
            {
                da.Clear(); // padded step: no gradient into the gates, dc passes through unchanged
                continue;
            }
            var g4 = gates.Slice(b * 4 * h, 4 * h);
            var cp = cPrev.Slice(b * h, h);
            var tc = tanhC.Slice(b * h, h);
            var dmr = dm.Slice(b * h, h);
            var dcr = dc.Slice(b * h, h);
            var cr = c.Slice(b * h, h);
            int j = 0;
            if (!peephole)
            {
                // Vectorised body (the peephole cell takes the scalar path below).
                var one = Vector<float>.One;
                var coupledMask = coupled ? Vector<float>.Zero : one; // dA_i = 0 for the coupled cell
                // Element offsets j, h + j, 2h + j, 3h + j of the row, j + n ≤ h (buffers checked above).
                ref float rg = ref MemoryMarshal.GetReference(g4), rda = ref MemoryMarshal.GetReference(da);
                ref float rtc = ref MemoryMarshal.GetReference(tc), rdm = ref MemoryMarshal.GetReference(dmr);
                ref float rcp = ref MemoryMarshal.GetReference(cp), rdc = ref MemoryMarshal.GetReference(dcr);
                nuint uh = (nuint)h;
                for (; j <= h - n; j += n)
                {
                    nuint u = (nuint)j;
                    var i = Vector.LoadUnsafe(ref rg, u); var f = Vector.LoadUnsafe(ref rg, uh + u);
                    var g = Vector.LoadUnsafe(ref rg, 2 * uh + u); var o = Vector.LoadUnsafe(ref rg, 3 * uh + u);
                    var tcv = Vector.LoadUnsafe(ref rtc, u); var dmv = Vector.LoadUnsafe(ref rdm, u);
                    var cpv = Vector.LoadUnsafe(ref rcp, u);
                    var dcv = Vector.LoadUnsafe(ref rdc, u) + dmv * o * (one - tcv * tcv);
                    var dAo = dmv * tcv * o * (one - o);
                    var dAf = dcv * (coupled ? cpv - g : cpv) * f * (one - f);
                    var dAi = dcv * g * i * (one - i) * coupledMask;
                    var dAg = dcv * i * (one - g * g);
                    dAi.StoreUnsafe(ref rda, u); dAf.StoreUnsafe(ref rda, uh + u);
                    dAg.StoreUnsafe(ref rda, 2 * uh + u); dAo.StoreUnsafe(ref rda, 3 * uh + u);
                    (dcv * f).StoreUnsafe(ref rdc, u);
                }
            }
            for (; j < h; j++)
            {
                float i = g4[j], f = g4[h + j], g = g4[2 * h + j], o = g4[3 * h + j];
                float tcj = tc[j], dmj = dmr[j];
                float dAo = dmj * tcj * o * (1f - o);
                float dcj = dcr[j] + dmj * o * (1f - tcj * tcj);
                if (peephole) { dcj += dAo * pO[j]; dpO[j] += dAo * cr[j]; }
                float cpj = cp[j];
                float dAf, dAi;
                if (coupled)
                {
                    dAf = dcj * (cpj - g) * f * (1f - f);
                    dAi = 0f;
                }
                else
                {
                    dAf = dcj * cpj * f * (1f - f);
                    dAi = dcj * g * i * (1f - i);
                }
                float dAg = dcj * i * (1f - g * g);
                float dcPrev = dcj * f;
                if (peephole)
                {
                    dcPrev += dAi * pI[j] + dAf * pF[j];
                    dpI[j] += dAi * cpj;
                    dpF[j] += dAf * cpj;
                }
                da[j] = dAi; da[h + j] = dAf; da[2 * h + j] = dAg; da[3 * h + j] = dAo;
                dcr[j] = dcPrev;
            }
        }
    }
}
