using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Recur.Kernels;

namespace Recur.Cells;

/// <summary>
/// The LSTM forward gate kernel (plain and coupled cells) on 16-lane vectors, in two passes per row:
/// 1. the gate activations in place: i = σ(a_i), f = σ(a_f), g = tanh(a_g), o = σ(a_o) (coupled: i = 1 − f);
/// 2. c = f⊙c₋ + i⊙g, tanh(c), m = o⊙tanh(c).
/// <para>Why: the kernel is bound by latency, not by the multiply-add ports. In one pass every vector of units
/// chains two exps in series (tanh(c) waits on i, f and g), and the out-of-order window holds only a few such
/// chains; pass 1 has four independent exps per vector and pass 2 one. On AVX-512 a 16-lane chain costs what an
/// 8-lane one does. T3's rows (B = 16, H = 48 here, one thread): 2.55 µs in one 8-lane pass, 1.35 µs so.</para>
/// <para>The units of a row [j0, j1) may be fewer than 16 or not a multiple of 16: the last (partial) vector
/// is computed from the row's values before the loop writes anything and stored after it, so the lanes it
/// shares with the loop get the same numbers (and <c>c</c> may alias <c>cPrev</c>, as in the streaming step);
/// rows narrower than one vector go through a zero-padded scratch.</para>
/// </summary>
internal static class LstmGates512
{
    private const int N = 16;

    public static bool IsSupported => Vector512.IsHardwareAccelerated;

    /// <summary>As <see cref="LstmKernels.ForwardUnits"/> for the plain and coupled cells (buffers checked there).</summary>
    public static void ForwardUnits(bool coupled, int batch, int h, int j0, int j1, Span<float> gates,
        ReadOnlySpan<float> cPrev, Span<float> c, Span<float> tanhC, Span<float> m, int t, ReadOnlySpan<int> lengths)
    {
        int w = j1 - j0;
        Span<float> scratch = w < N ? stackalloc float[8 * N] : default;
        for (int b = 0; b < batch; b++)
        {
            var a = gates.Slice(b * 4 * h, 4 * h);
            var cp = cPrev.Slice(b * h + j0, w);
            var cr = c.Slice(b * h + j0, w); var tc = tanhC.Slice(b * h + j0, w); var mr = m.Slice(b * h + j0, w);
            if (!lengths.IsEmpty && t >= lengths[b])
            {
                cp.CopyTo(cr);   // padded step: the state is kept
                VectorMath.Tanh(cr, tc);
                continue;
            }
            var ai = a.Slice(j0, w); var af = a.Slice(h + j0, w); var ag = a.Slice(2 * h + j0, w); var ao = a.Slice(3 * h + j0, w);
            if (w < N)
            {
                Narrow(coupled, w, ai, af, ag, ao, cp, cr, tc, mr, scratch);
                continue;
            }
            Activate(af, Gate.Sigmoid);
            Activate(ag, Gate.Tanh);
            Activate(ao, Gate.Sigmoid);
            if (coupled) OneMinus(af, ai); else Activate(ai, Gate.Sigmoid);
            CellUpdate(ai, af, ag, ao, cp, cr, tc, mr);
        }
    }

    private enum Gate { Sigmoid, Tanh }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Apply(Vector512<float> x, Gate gate) => gate == Gate.Sigmoid ? VectorMath.Sigmoid(x) : VectorMath.Tanh(x);

    /// <summary>x ← σ(x) or tanh(x) in place, x.Length ≥ 16.</summary>
    private static void Activate(Span<float> x, Gate gate)
    {
        ref float r = ref MemoryMarshal.GetReference(x);
        nuint last = (nuint)(x.Length - N);
        var tail = Apply(Vector512.LoadUnsafe(ref r, last), gate);   // from the pre-activations, before the loop overwrites them
        for (nuint j = 0; j < last; j += N) Apply(Vector512.LoadUnsafe(ref r, j), gate).StoreUnsafe(ref r, j);
        tail.StoreUnsafe(ref r, last);
    }

    /// <summary>i ← 1 − f (the coupled cell's input gate), f.Length ≥ 16.</summary>
    private static void OneMinus(ReadOnlySpan<float> f, Span<float> i)
    {
        ref float rf = ref MemoryMarshal.GetReference(f); ref float ri = ref MemoryMarshal.GetReference(i);
        nuint last = (nuint)(f.Length - N);
        for (nuint j = 0; j < last; j += N) (Vector512<float>.One - Vector512.LoadUnsafe(ref rf, j)).StoreUnsafe(ref ri, j);
        (Vector512<float>.One - Vector512.LoadUnsafe(ref rf, last)).StoreUnsafe(ref ri, last);
    }

    /// <summary>c = f⊙c₋ + i⊙g, tanh(c), m = o⊙tanh(c) over one row's units (≥ 16; c may alias c₋).</summary>
    private static void CellUpdate(ReadOnlySpan<float> i, ReadOnlySpan<float> f, ReadOnlySpan<float> g, ReadOnlySpan<float> o,
        ReadOnlySpan<float> cPrev, Span<float> c, Span<float> tanhC, Span<float> m)
    {
        ref float ri = ref MemoryMarshal.GetReference(i); ref float rf = ref MemoryMarshal.GetReference(f);
        ref float rg = ref MemoryMarshal.GetReference(g); ref float ro = ref MemoryMarshal.GetReference(o);
        ref float rcp = ref MemoryMarshal.GetReference(cPrev); ref float rc = ref MemoryMarshal.GetReference(c);
        ref float rtc = ref MemoryMarshal.GetReference(tanhC); ref float rm = ref MemoryMarshal.GetReference(m);
        nuint last = (nuint)(c.Length - N);
        // f⊙c₋ + i⊙g as two products and a sum (not a multiply-add): the same numbers as the 8-lane kernel.
        var cLast = Vector512.LoadUnsafe(ref rf, last) * Vector512.LoadUnsafe(ref rcp, last)
            + Vector512.LoadUnsafe(ref ri, last) * Vector512.LoadUnsafe(ref rg, last);
        for (nuint j = 0; j < last; j += N)
        {
            var cv = Vector512.LoadUnsafe(ref rf, j) * Vector512.LoadUnsafe(ref rcp, j)
                + Vector512.LoadUnsafe(ref ri, j) * Vector512.LoadUnsafe(ref rg, j);
            var tcv = VectorMath.Tanh(cv);
            cv.StoreUnsafe(ref rc, j); tcv.StoreUnsafe(ref rtc, j); (Vector512.LoadUnsafe(ref ro, j) * tcv).StoreUnsafe(ref rm, j);
        }
        var tcLast = VectorMath.Tanh(cLast);
        cLast.StoreUnsafe(ref rc, last); tcLast.StoreUnsafe(ref rtc, last); (Vector512.LoadUnsafe(ref ro, last) * tcLast).StoreUnsafe(ref rm, last);
    }

    /// <summary>A row of fewer than 16 units, through zero-padded scratch lanes: a_i, a_f, a_g, a_o, c₋, c, tanh c, m.</summary>
    private static void Narrow(bool coupled, int w, Span<float> ai, Span<float> af, Span<float> ag, Span<float> ao,
        ReadOnlySpan<float> cp, Span<float> cr, Span<float> tc, Span<float> mr, Span<float> s)
    {
        s.Clear();
        ai.CopyTo(s); af.CopyTo(s[N..]); ag.CopyTo(s[(2 * N)..]); ao.CopyTo(s[(3 * N)..]); cp.CopyTo(s[(4 * N)..]);
        Activate(s.Slice(N, N), Gate.Sigmoid);
        Activate(s.Slice(2 * N, N), Gate.Tanh);
        Activate(s.Slice(3 * N, N), Gate.Sigmoid);
        if (coupled) OneMinus(s.Slice(N, N), s[..N]); else Activate(s[..N], Gate.Sigmoid);
        CellUpdate(s[..N], s.Slice(N, N), s.Slice(2 * N, N), s.Slice(3 * N, N), s.Slice(4 * N, N),
            s.Slice(5 * N, N), s.Slice(6 * N, N), s.Slice(7 * N, N));
        s[..w].CopyTo(ai); s.Slice(N, w).CopyTo(af); s.Slice(2 * N, w).CopyTo(ag); s.Slice(3 * N, w).CopyTo(ao);
        s.Slice(5 * N, w).CopyTo(cr); s.Slice(6 * N, w).CopyTo(tc); s.Slice(7 * N, w).CopyTo(mr);
    }
}
