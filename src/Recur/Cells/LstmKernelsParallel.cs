using Recur.Kernels;

namespace Recur.Cells;

/// <summary>
/// The LSTM gate kernels (forward and backward) split by batch rows over the GEMM worker threads (fixed parts), for steps large
/// enough to pay for it: between two recurrent GEMMs the other core would otherwise idle while one core
/// evaluates B·H·5 exponentials. Rows are independent, so the result is bit-identical to the serial kernel.
/// </summary>
internal static unsafe class LstmKernelsParallel
{
    /// <summary>Elements (B·H) below which one thread does the whole step.</summary>
    private const int MinElements = 16 * 1024;

    public static void Forward(CellType cell, int batch, int hidden, Span<float> gates,
        ReadOnlySpan<float> cPrev, Span<float> c, Span<float> tanhC, Span<float> m,
        ReadOnlySpan<float> pI, ReadOnlySpan<float> pF, ReadOnlySpan<float> pO, int t, ReadOnlySpan<int> lengths)
    {
        int parts = Math.Min(Gemm.Threads, batch);
        if (parts >= 2 && batch * hidden >= MinElements)
        {
            fixed (float* g = gates, cp = cPrev, cc = c, tc = tanhC, mm = m, pi = pI, pf = pF, po = pO)
            fixed (int* len = lengths)
            {
                var job = ForwardJob.Shared;
                job.Set(cell, batch, hidden, g, cp, cc, tc, mm, pi, pf, po, pI.Length, t, len, lengths.Length, parts);
                if (GemmThreadPool.TryRunParts(job, parts)) return;
            }
        }
        LstmKernels.Forward(cell, batch, hidden, gates, cPrev, c, tanhC, m, pI, pF, pO, t, lengths);
    }

    /// <summary>The backward step split by batch rows, as <see cref="Forward"/>. The peephole cell stays on one
    /// thread: its peephole gradients are sums over the rows.</summary>
    public static void Backward(CellType cell, int batch, int hidden, ReadOnlySpan<float> gates,
        ReadOnlySpan<float> cPrev, ReadOnlySpan<float> tanhC, ReadOnlySpan<float> dm, Span<float> dc,
        Span<float> dA, ReadOnlySpan<float> pI, ReadOnlySpan<float> pF, ReadOnlySpan<float> pO,
        Span<float> dpI, Span<float> dpF, Span<float> dpO, ReadOnlySpan<float> c, int t, ReadOnlySpan<int> lengths)
    {
        int parts = Math.Min(Gemm.Threads, batch);
        if (cell != CellType.LstmPeephole && parts >= 2 && batch * hidden >= MinElements)
        {
            fixed (float* g = gates, cp = cPrev, tc = tanhC, pdm = dm, pdc = dc, pda = dA, cc = c)
            fixed (int* len = lengths)
            {
                var job = BackwardJob.Shared;
                job.Set(cell, batch, hidden, g, cp, tc, pdm, pdc, pda, cc, t, len, lengths.Length, parts);
                if (GemmThreadPool.TryRunParts(job, parts)) return;
            }
        }
        LstmKernels.Backward(cell, batch, hidden, gates, cPrev, tanhC, dm, dc, dA, pI, pF, pO, dpI, dpF, dpO, c, t, lengths);
    }

    private sealed class BackwardJob : GemmThreadPool.IParts
    {
        [ThreadStatic] private static BackwardJob? t_shared;
        public static BackwardJob Shared => t_shared ??= new BackwardJob();

        private CellType _cell;
        private int _batch, _h, _t, _lengthCount, _parts;
        private float* _g, _cp, _tc, _dm, _dc, _dA, _c;
        private int* _len;

        public void Set(CellType cell, int batch, int h, float* g, float* cp, float* tc, float* dm, float* dc, float* dA,
            float* c, int t, int* len, int lengthCount, int parts)
        {
            _cell = cell; _batch = batch; _h = h; _parts = parts; _t = t;
            _g = g; _cp = cp; _tc = tc; _dm = dm; _dc = dc; _dA = dA; _c = c;
            _len = len; _lengthCount = lengthCount;
        }

        public void RunPart(int part)
        {
            int r0 = (int)((long)_batch * part / _parts), r1 = (int)((long)_batch * (part + 1) / _parts), rows = r1 - r0;
            if (rows <= 0) return;
            int h = _h;
            LstmKernels.Backward(_cell, rows, h,
                new ReadOnlySpan<float>(_g + (nint)r0 * 4 * h, rows * 4 * h),
                new ReadOnlySpan<float>(_cp + (nint)r0 * h, rows * h),
                new ReadOnlySpan<float>(_tc + (nint)r0 * h, rows * h),
                new ReadOnlySpan<float>(_dm + (nint)r0 * h, rows * h),
                new Span<float>(_dc + (nint)r0 * h, rows * h),
                new Span<float>(_dA + (nint)r0 * 4 * h, rows * 4 * h),
                default, default, default, default, default, default,
                new ReadOnlySpan<float>(_c + (nint)r0 * h, rows * h),
                _t, _lengthCount == 0 ? default : new ReadOnlySpan<int>(_len + r0, rows));
        }
    }

    private sealed class ForwardJob : GemmThreadPool.IParts
    {
        [ThreadStatic] private static ForwardJob? t_shared;
        public static ForwardJob Shared => t_shared ??= new ForwardJob();

        private CellType _cell;
        private int _batch, _h, _peepLength, _t, _lengthCount, _parts;
        private float* _g, _cp, _c, _tc, _m, _pi, _pf, _po;
        private int* _len;

        public void Set(CellType cell, int batch, int h, float* g, float* cp, float* c, float* tc, float* m,
            float* pi, float* pf, float* po, int peepLength, int t, int* len, int lengthCount, int parts)
        {
            _cell = cell; _batch = batch; _h = h; _parts = parts; _t = t;
            _g = g; _cp = cp; _c = c; _tc = tc; _m = m;
            _pi = pi; _pf = pf; _po = po; _peepLength = peepLength;
            _len = len; _lengthCount = lengthCount;
        }

        public void RunPart(int part)
        {
            int r0 = (int)((long)_batch * part / _parts), r1 = (int)((long)_batch * (part + 1) / _parts), rows = r1 - r0;
            if (rows <= 0) return;
            int h = _h;
            LstmKernels.Forward(_cell, rows, h,
                new Span<float>(_g + (nint)r0 * 4 * h, rows * 4 * h),
                new ReadOnlySpan<float>(_cp + (nint)r0 * h, rows * h),
                new Span<float>(_c + (nint)r0 * h, rows * h),
                new Span<float>(_tc + (nint)r0 * h, rows * h),
                new Span<float>(_m + (nint)r0 * h, rows * h),
                new ReadOnlySpan<float>(_pi, _peepLength), new ReadOnlySpan<float>(_pf, _peepLength), new ReadOnlySpan<float>(_po, _peepLength),
                _t, _lengthCount == 0 ? default : new ReadOnlySpan<int>(_len + r0, rows));
        }
    }
}
