using Recur.Kernels;

namespace Recur.Cells;

/// <summary>
/// One streaming LSTM step for a tiny batch (B ≤ <see cref="Gemv.MaxRows"/>, no projection) in a single
/// parallel pass: thread p owns hidden units [j0, j1) and computes, for its units only, the four gate
/// pre-activations a[b, qH+j] = bias[qH+j] + x_b·W_ih[qH+j] + h_b·W_hh[qH+j] (q = i, f, g, o) and then the
/// cell update of those units. At batch 1 the step is a stream of the weights (4H·(I+H) floats), so the
/// fixed unit split keeps each thread's rows in its own core's cache from step to step, and one hand-off
/// per layer replaces three (input product, recurrent product, gate kernel). With <see cref="LstmStreamWeights"/>
/// (a frozen model) the products read the interleaved copy instead of W_ih and W_hh.
/// </summary>
internal static unsafe class LstmStreamStep
{
    /// <param name="x">[B, I]</param> <param name="h">[B, H] h₋</param> <param name="cPrev">[B, H]</param>
    /// <param name="wIh">[4H, I]</param> <param name="wHh">[4H, H]</param> <param name="bias">[4H] b_ih + b_hh</param>
    /// <param name="gates">[B, 4H] scratch (the activations on exit)</param>
    /// <param name="c">[B, H] out (may be <paramref name="cPrev"/>: updated in place)</param> <param name="tanhC">[B, H] out</param> <param name="hNew">[B, H] out</param>
    public static void Run(CellType cell, int batch, int inputSize, int hidden,
        ReadOnlySpan<float> x, ReadOnlySpan<float> h, ReadOnlySpan<float> cPrev,
        ReadOnlySpan<float> wIh, ReadOnlySpan<float> wHh, ReadOnlySpan<float> bias,
        ReadOnlySpan<float> pI, ReadOnlySpan<float> pF, ReadOnlySpan<float> pO,
        Span<float> gates, Span<float> c, Span<float> tanhC, Span<float> hNew, LstmStreamWeights? packed = null)
    {
        fixed (float* px = x, ph = h, pcp = cPrev, pwi = wIh, pwh = wHh, pb = bias, ppi = pI, ppf = pF, ppo = pO,
               pg = gates, pc = c, ptc = tanhC, phn = hNew)
        {
            var job = Job.Shared;
            job.Set(cell, batch, inputSize, hidden, px, ph, pcp, pwi, pwh, pb, ppi, ppf, ppo, pI.Length, pg, pc, ptc, phn);
            job.Packed = packed is not null && packed.InputSize == inputSize && packed.Hidden == hidden ? packed : null;
            long work = (long)batch * 4 * hidden * (inputSize + hidden);
            int parts = Math.Min(Gemm.Threads, hidden / 16);
            if (parts >= 2 && work >= Gemv.ParallelWork)
            {
                job.Parts = parts;
                if (GemmThreadPool.TryRunParts(job, parts)) return;
            }
            job.Parts = 1;
            job.RunPart(0);
        }
    }

    private sealed class Job : GemmThreadPool.IParts
    {
        [ThreadStatic] private static Job? t_shared;
        public static Job Shared => t_shared ??= new Job();

        private CellType _cell;
        private int _b, _i, _h, _peep;
        private float* _x, _hp, _cp, _wIh, _wHh, _bias, _pI, _pF, _pO, _g, _c, _tc, _hn;
        public int Parts;
        public LstmStreamWeights? Packed;
        [ThreadStatic] private static float[]? t_xh;

        public void Set(CellType cell, int b, int i, int h, float* x, float* hp, float* cp, float* wIh, float* wHh,
            float* bias, float* pI, float* pF, float* pO, int peep, float* g, float* c, float* tc, float* hn)
        {
            _cell = cell; _b = b; _i = i; _h = h; _peep = peep;
            _x = x; _hp = hp; _cp = cp; _wIh = wIh; _wHh = wHh; _bias = bias; _pI = pI; _pF = pF; _pO = pO;
            _g = g; _c = c; _tc = tc; _hn = hn;
        }

        /// <summary>Units [H·p/P, H·(p+1)/P), boundaries on multiples of 16 (whole cache lines of c, h and each gate block).</summary>
        private int Boundary(int part) => part >= Parts ? _h : (int)((long)_h * part / Parts) & ~15;

        public void RunPart(int part)
        {
            int j0 = Boundary(part), j1 = Boundary(part + 1);
            if (j1 <= j0) return;
            int H = _h, GH = 4 * H;
            if (Packed is { } packed) ProductsPacked(packed, j0, j1);
            else ProductsRowMajor(j0, j1);
            int n = _b * H;
            LstmKernels.ForwardUnits(_cell, _b, H, j0, j1, new Span<float>(_g, _b * GH), new ReadOnlySpan<float>(_cp, n),
                new Span<float>(_c, n), new Span<float>(_tc, n), new Span<float>(_hn, n),
                new ReadOnlySpan<float>(_pI, _peep), new ReadOnlySpan<float>(_pF, _peep), new ReadOnlySpan<float>(_pO, _peep),
                0, default);
        }

        /// <summary>The four gate pre-activations of units [j0, j1), from W_ih and W_hh as stored (four rows at a time).</summary>
        private void ProductsRowMajor(int j0, int j1)
        {
            int H = _h, GH = 4 * H;
            for (int b = 0; b < _b; b++)
            {
                float* xb = _x + (nint)b * _i, hb = _hp + (nint)b * H, gb = _g + (nint)b * GH;
                for (int q = 0; q < 4; q++)
                {
                    int r = q * H + j0, rEnd = q * H + j1;
                    for (; r <= rEnd - 4; r += 4)
                    {
                        Gemv.Dot4(xb, _wIh + (nint)r * _i, _i, _i, out float x0, out float x1, out float x2, out float x3);
                        Gemv.Dot4(hb, _wHh + (nint)r * H, H, H, out float h0, out float h1, out float h2, out float h3);
                        gb[r] = _bias[r] + x0 + h0; gb[r + 1] = _bias[r + 1] + x1 + h1;
                        gb[r + 2] = _bias[r + 2] + x2 + h2; gb[r + 3] = _bias[r + 3] + x3 + h3;
                    }
                    for (; r < rEnd; r++)
                    {
                        float s = _bias[r];
                        for (int k = 0; k < _i; k++) s += xb[k] * _wIh[(nint)r * _i + k];
                        for (int k = 0; k < H; k++) s += hb[k] * _wHh[(nint)r * H + k];
                        gb[r] = s;
                    }
                }
            }
        }

        /// <summary>The same from the interleaved copy: [x | h | 0] per batch row, then each gate's groups of four units.</summary>
        private void ProductsPacked(LstmStreamWeights packed, int j0, int j1)
        {
            int H = _h, GH = 4 * H, width = packed.Width;
            var xh = t_xh is { } buf && buf.Length >= width ? buf : t_xh = GC.AllocateArray<float>(width, pinned: true);
            fixed (float* pxh = xh)
                for (int b = 0; b < _b; b++)
                {
                    new ReadOnlySpan<float>(_x + (nint)b * _i, _i).CopyTo(xh);
                    new ReadOnlySpan<float>(_hp + (nint)b * H, H).CopyTo(xh.AsSpan(_i));
                    xh.AsSpan(_i + H, width - _i - H).Clear();
                    packed.Gates(pxh, _bias, _g + (nint)b * GH, j0, j1);
                }
        }
    }
}
