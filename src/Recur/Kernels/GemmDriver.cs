using System.Numerics;
using System.Runtime.CompilerServices;

namespace Recur.Kernels;

/// <summary>
/// One micro-kernel and its blocking: computes the MR×NR tile
/// <c>C = alpha·(Ã·B̃) + beta·C</c> from an A micro-panel (kc×MR, column of MR per k) and a
/// B micro-panel (kc×NR, row of NR per k). beta = 0 must not read C.
/// </summary>
internal sealed unsafe class GemmSpec<T> where T : unmanaged
{
    public required GemmKernel Id { get; init; }
    public required int MR { get; init; }
    public required int NR { get; init; }
    /// <summary>KC: B micro-panel kc×NR stays in L1 while MR-row slices of A stream past it.</summary>
    public required int KC { get; init; }
    /// <summary>MC: the packed A block MC×KC stays in L2 across the whole jr loop.</summary>
    public required int MC { get; init; }
    /// <summary>NC: the packed B block KC×NC (L2/L3), shared by all ic blocks.</summary>
    public required int NC { get; init; }
    /// <summary>(kc, Ã micro-panel, B̃ micro-panel, next B̃ lines to prefetch into L2 (one 64-byte line per k), C, ldc, alpha, beta).</summary>
    public required delegate*<int, T*, T*, T*, T*, nint, T, T, void> Micro { get; init; }
    /// <summary>Optional narrow kernels for an edge panel: the same MR rows and packed layout (KC×NR B̃ panels), but only
    /// the first 8, 16 or 24 columns computed. An edge panel of nb valid columns runs the narrowest that covers nb:
    /// N = 50 or 100 or 200 (H, 2H, 4H at H = 50) would otherwise pay 64, 128 or 224 columns of multiply-adds.</summary>
    public delegate*<int, T*, T*, T*, T*, nint, T, T, void> Micro8 { get; init; }
    /// <inheritdoc cref="Micro8"/>
    public delegate*<int, T*, T*, T*, T*, nint, T, T, void> Micro16 { get; init; }
    /// <inheritdoc cref="Micro8"/>
    public delegate*<int, T*, T*, T*, T*, nint, T, T, void> Micro24 { get; init; }

    /// <summary>The kernel for an edge panel of <paramref name="nb"/> ≤ NR valid columns.</summary>
    public delegate*<int, T*, T*, T*, T*, nint, T, T, void> EdgeMicro(int nb) =>
        nb <= 8 && Micro8 != null ? Micro8 : nb <= 16 && Micro16 != null ? Micro16 : nb <= 24 && Micro24 != null ? Micro24 : Micro;

    /// <summary>Calls of the micro-kernel that prefetching one line per k takes to cover a whole B̃ micro-panel.</summary>
    public int PrefetchCalls => Math.Max(1, NR * sizeof(T) / 64);
}

public static partial class Gemm
{
    // Up to this many multiply-adds (≈ 8×8×16) the packed path's fixed costs dominate: a plain loop runs.
    internal const long SmallWork = 1024;
    // Multiply-adds per thread below which another thread does not pay for its wake-up.
    internal const long WorkPerThread = 256 * 1024;
    // Multiply-adds per tile above which a thread gets more than one tile (dynamic balance).
    internal static long TileWork = 96L * 1024 * 1024;   // not const: tests lower it to reach the tiled path
    // Largest count of extra packed elements, per multiply-add, that finer tiles may add. A packed element
    // (a strided read and a write, ≈ 0.5 cycle) costs about as much as 16 multiply-adds (a core does 32 per
    // cycle), so 1/4096 keeps the extra packing under ≈ 0.4 % of the time. (At 1/256, 2048³ on 2 threads
    // took 8 tiles and packed A four times: 266 against 281 GFLOP/s, best of 6 runs each.)
    internal static double PackOverhead = 1.0 / 4096;

    internal static GemmSpec<T> Spec<T>(GemmKernel kernel) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return (GemmSpec<T>)(object)SgemmKernels.Spec(kernel);
        if (typeof(T) == typeof(double)) return (GemmSpec<T>)(object)DgemmKernels.Spec(kernel);
        throw new NotSupportedException(typeof(T).Name);
    }

    /// <summary>Validated entry: <paramref name="kernel"/> resolved, <paramref name="threads"/> ≥ 1.</summary>
    internal static unsafe void Run<T>(GemmKernel kernel, int threads, Op opA, Op opB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, PackedMatrix? packed,
        T beta, Span<T> c, int ldc) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m == 0 || n == 0) return;
        kernel = Resolve(kernel);
        fixed (T* pa = a) fixed (T* pb = b) fixed (T* pc = c)
        {
            if (k == 0 || alpha == T.Zero)
            {
                for (int i = 0; i < m; i++) ScaleRow(pc + (nint)i * ldc, n, beta);
                return;
            }
            long work = (long)m * n * k;
            // K = 1 (an outer product, e.g. the input projection of a layer with one input feature): op(B) is
            // one row, contiguous either way (B stored [1, N], or [N, 1] with ldb = 1), so the unpacked path's
            // row updates C[i,:] += α·A[i,0]·B[0,:] apply; packing would cost more than the multiply-adds.
            if (packed == null && k == 1 && (opB == Op.None || ldb == 1))
            {
                SmallGemm(opA, Op.None, m, n, k, alpha, pa, lda, pb, Math.Max(ldb, n), beta, pc, ldc);
                return;
            }
            // Tiny problems, and GEMV-like ones (M or N ≤ 2: every packed element would be used at most
            // twice), go unpacked.
            if (packed == null && (work <= SmallWork || m <= 2 || n <= 2))
            {
                SmallGemm(opA, opB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
                return;
            }
            var job = new GemmArgs<T>
            {
                Spec = Spec<T>(packed?.Kernel ?? kernel), OpA = opA, OpB = opB, M = m, N = n, K = k,
                Alpha = alpha, A = pa, Lda = lda, B = pb, Ldb = ldb, Beta = beta, C = pc, Ldc = ldc,
                PackedB = packed == null ? null : (T*)packed.Pointer,
            };
            int t = (int)Math.Clamp(work / WorkPerThread, 1, threads);
            // Workers taken (a call from inside a row group, or a concurrent caller): this call runs on this thread
            // alone, so one tile, not several run one after the other, each packing its own copy of A or B.
            if (t > 1 && GemmThreadPool.Busy) t = 1;
            job.GridM = job.GridN = job.Threads = 1;
            if (t > 1)
            {
                // Big problems: a few tiles per thread, handed out dynamically, so a core that another
                // process steals for a while does not hold the whole call back. Short calls (a recurrent
                // step, ≤ ~1 ms): one tile per thread, no extra packing.
                // Each tile packs its own rows of A and columns of B, so more tiles cost duplicated
                // packing: gn/N + gm/M of the multiply-adds; allow it up to PackOverhead.
                (job.GridM, job.GridN) = ChooseGrid(t, m, n, job.Spec.MR, job.Spec.NR);
                for (int perThread = (int)Math.Clamp(work / TileWork, 1, 4); perThread > 1; perThread--)
                {
                    var (gm, gn) = ChooseGrid(t * perThread, m, n, job.Spec.MR, job.Spec.NR);
                    if ((double)gn / n + (double)gm / m <= PackOverhead) { (job.GridM, job.GridN) = (gm, gn); break; }
                }
                job.Threads = Math.Min(t, job.GridM * job.GridN);
            }
            if (job.Threads > 1 && packed != null && job.GridM * job.GridN == job.Threads) GemmThreadPool.RunFixed(ref job);
            else if (job.Threads > 1) GemmThreadPool.Run(ref job);
            else Block(ref job, 0, m, 0, n);
        }
    }

    /// <summary>
    /// Split C into <paramref name="tiles"/> = GridM × GridN rectangles. Each thread packs its own rows of A and
    /// columns of B, so the split that minimises (rows + columns) per thread minimises duplicated packing
    /// and memory traffic: small-M shapes (32×1024) split N, tall shapes (3200×1024) split M.
    /// </summary>
    internal static (int, int) ChooseGrid(int tiles, int m, int n, int mr, int nr)
    {
        int mPanels = (m + mr - 1) / mr, nPanels = (n + nr - 1) / nr;
        for (int t = tiles; t > 1; t--)
        {
            (int, int) best = (0, 0);
            double bestCost = double.MaxValue;
            for (int gm = 1; gm <= t; gm++)
            {
                if (t % gm != 0) continue;
                int gn = t / gm;
                if (gm > mPanels || gn > nPanels) continue;
                double cost = (double)m / gm + (double)n / gn;
                if (cost < bestCost) { bestCost = cost; best = (gm, gn); }
            }
            if (best.Item1 > 0) return best;
        }
        return (1, 1);
    }

    /// <summary>Computes tile <paramref name="tile"/> (row-major in the GridM×GridN grid) of C.</summary>
    internal static void RunTile<T>(ref GemmArgs<T> job, int tile) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int gi = tile / job.GridN, gj = tile % job.GridN;
        var (m0, m1) = Split(job.M, job.Spec.MR, job.GridM, gi);
        var (n0, n1) = Split(job.N, job.Spec.NR, job.GridN, gj);
        if (m1 > m0 && n1 > n0) Block(ref job, m0, m1, n0, n1);
    }

    // Part p of `parts` of [0, size) in whole panels of `unit` (only the last part holds a partial panel).
    private static (int, int) Split(int size, int unit, int parts, int p)
    {
        int panels = (size + unit - 1) / unit;
        int lo = (int)((long)panels * p / parts) * unit, hi = (int)((long)panels * (p + 1) / parts) * unit;
        return (Math.Min(lo, size), Math.Min(hi, size));
    }

    /// <summary>
    /// The five BLIS loops around the micro-kernel for C[m0:m1, n0:n1]:
    /// <code>
    /// for jc in n0..n1 step NC          5: B block columns
    ///   for pc in 0..K step KC          4: pack B[pc:+KC, jc:+NC] → B̃ (KC×NR micro-panels)
    ///     for ic in m0..m1 step MC      3: pack A[ic:+MC, pc:+KC] → Ã (MR×KC micro-panels, L2)
    ///       for jr in 0..nc step NR     2: one B̃ micro-panel (L1) ...
    ///         for ir in 0..mc step MR   1: ... meets every Ã micro-panel: micro-kernel MR×NR
    /// </code>
    /// beta applies on the first KC block only; later blocks accumulate (beta = 1).
    /// When this thread's rows fit one MC block (the small-M recurrent shapes, e.g. 64×2048), each B̃
    /// micro-panel is packed right before its ir loop instead (fused): B is read once and its packed copy
    /// stays in L1, rather than a KC×NC block being written out and read back.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Block<T>(ref GemmArgs<T> job, int m0, int m1, int n0, int n1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var s = job.Spec;
        int mr = s.MR, nr = s.NR, kcMax = s.KC;
        var micro = s.Micro;
        int prefetchCalls = s.PrefetchCalls;
        int mcMax = s.MC, ncMax = job.PackedB != null ? int.MaxValue : s.NC;
        var buffers = PackBuffers<T>.Get(s);
        T* bufA = buffers.A, bufB = buffers.B;
        T* tile = stackalloc T[mr * nr];
        int nPadded = (job.N + nr - 1) / nr * nr;
        bool fused = job.PackedB == null && m1 - m0 <= mcMax;

        for (int jc = n0; jc < n1; jc += Math.Min(ncMax, n1 - jc))
        {
            int nc = Math.Min(ncMax, n1 - jc);
            for (int pc = 0; pc < job.K; pc += kcMax)
            {
                int kc = Math.Min(kcMax, job.K - pc);
                T* bp = bufB;
                if (job.PackedB != null)
                    bp = job.PackedB + (nint)pc * nPadded + (nint)(jc / nr) * kc * nr;   // layout of PackedMatrix
                else if (!fused)
                    GemmPacking.PackB(job.OpB, job.B, job.Ldb, pc, kc, jc, nc, nr, bufB);
                T beta = pc == 0 ? job.Beta : T.One;
                for (int ic = m0; ic < m1; ic += mcMax)
                {
                    int mc = Math.Min(mcMax, m1 - ic);
                    GemmPacking.PackA(job.OpA, job.A, job.Lda, ic, mc, pc, kc, mr, bufA);
                    for (int jr = 0; jr < nc; jr += nr)
                    {
                        int nb = Math.Min(nr, nc - jr);
                        T* bPanel = bp + (nint)jr * kc;
                        if (fused)
                        {
                            GemmPacking.PackB(job.OpB, job.B, job.Ldb, pc, kc, jc + jr, nb, nr, bufB);
                            bPanel = bufB;
                        }
                        // While this B̃ micro-panel is in use, the micro-kernel pulls the next one into L2, a part per
                        // call: a pre-packed W_hh (4 MB) or a KC×NC block does not stay in L2, and the first call on a
                        // panel would otherwise wait on L3 (≈ 20 GB/s here) for all of it. Past the last panel the
                        // lines are not used (a prefetch never faults). Fused, the next panel is not packed yet: the
                        // kernel touches its own panel, just packed and in L1, so the prefetches cost a hint each.
                        T* bNext = fused ? bPanel : bPanel + (nint)nr * kc;
                        int call = 0;
                        for (int ir = 0; ir < mc; ir += mr, call++)
                        {
                            int mb = Math.Min(mr, mc - ir);
                            T* aPanel = bufA + (nint)ir * kc;
                            T* cTile = job.C + (nint)(ic + ir) * job.Ldc + jc + jr;
                            T* pf = bNext + (nint)(call % prefetchCalls) * kc * (64 / sizeof(T));
                            if (mb == mr && nb == nr)
                                micro(kc, aPanel, bPanel, pf, cTile, job.Ldc, job.Alpha, beta);
                            else
                            {
                                // Edge tile: into scratch (packed panels are zero-padded), then merge; a narrow edge
                                // panel computes only the columns it needs.
                                s.EdgeMicro(nb)(kc, aPanel, bPanel, pf, tile, nr, T.One, T.Zero);   // Micro when nb = NR
                                MergeTile(tile, nr, mb, nb, cTile, job.Ldc, job.Alpha, beta);
                            }
                        }
                    }
                }
            }
        }
    }

    private static unsafe void MergeTile<T>(T* tile, int ldt, int mb, int nb, T* c, nint ldc, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < mb; i++)
        {
            T* t = tile + i * ldt, cr = c + i * ldc;
            if (beta == T.Zero) for (int j = 0; j < nb; j++) cr[j] = alpha * t[j];
            else for (int j = 0; j < nb; j++) cr[j] = alpha * t[j] + beta * cr[j];
        }
    }

    /// <summary>C = alpha·a·bᵀ + beta·C for K = 1 (a [M] with stride <paramref name="strideA"/>, b one row [N]): one
    /// pass over C, which with beta = 0 is only written (an input layer of one feature: T3's first layer, a
    /// one-column forecast; the general loop cleared each row and then read it back).</summary>
    private static unsafe void Rank1<T>(int m, int n, T alpha, T* a, int strideA, T* b, T beta, T* c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector<T>.Count;
        var vBeta = new Vector<T>(beta);
        for (int i = 0; i < m; i++)
        {
            T* crow = c + (nint)i * ldc;
            T av = alpha * a[(nint)i * strideA];
            var va = new Vector<T>(av);
            int j = 0;
            if (beta == T.Zero)
            {
                for (; j <= n - w; j += w) Vector.Store(va * Vector.Load(b + j), crow + j);
                for (; j < n; j++) crow[j] = av * b[j];
            }
            else
            {
                for (; j <= n - w; j += w) Vector.Store(va * Vector.Load(b + j) + vBeta * Vector.Load(crow + j), crow + j);
                for (; j < n; j++) crow[j] = av * b[j] + beta * crow[j];
            }
        }
    }

    private static unsafe void ScaleRow<T>(T* row, int n, T beta) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var span = new Span<T>(row, n);
        if (beta == T.Zero) span.Clear();
        else if (beta != T.One) for (int j = 0; j < n; j++) span[j] *= beta;
    }

    /// <summary>
    /// Tiny problems (M·N·K ≤ <see cref="SmallWork"/>) and GEMV-like ones (M or N ≤ 2): no packing, no
    /// threads. Row by row:
    /// C[i,:] = beta·C[i,:] + Σ_p (alpha·A[i,p])·B[p,:] (vectorised along N), or dot products for Bᵀ.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe T A<T>(Op opA, T* a, int lda, int i, int p) where T : unmanaged
        => opA == Op.None ? a[(nint)i * lda + p] : a[(nint)p * lda + i];

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void SmallGemm<T>(Op opA, Op opB, int m, int n, int k, T alpha,
        T* a, int lda, T* b, int ldb, T beta, T* c, int ldc) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // A single column of B and C (a matrix-vector product) with contiguous vectors: vectorise along K
        // (dot products) or M (a sum of rows of A stored [K, M]) instead of along the one column.
        bool bContiguous = opB == Op.Transpose || ldb == 1 || k == 1;
        if (n == 1 && bContiguous && Vector.IsHardwareAccelerated)
        {
            if (opA == Op.None) { Gemv(m, k, alpha, a, lda, b, beta, c, ldc); return; }
            if (ldc == 1) { GemvTransposed(m, k, alpha, a, lda, b, beta, c); return; }
        }
        if (k == 1 && opB == Op.None && Vector.IsHardwareAccelerated)
        {
            Rank1(m, n, alpha, a, opA == Op.None ? lda : 1, b, beta, c, ldc);
            return;
        }
        for (int i = 0; i < m; i++)
        {
            T* crow = c + (nint)i * ldc;
            ScaleRow(crow, n, beta);
            if (opB == Op.None)
            {
                int p = 0;
                if (Vector.IsHardwareAccelerated)
                    for (; p <= k - 4; p += 4)
                    {
                        // Four rows of B per pass over the C row: one load/store of C per four FMAs.
                        T a0 = alpha * A(opA, a, lda, i, p), a1 = alpha * A(opA, a, lda, i, p + 1);
                        T a2 = alpha * A(opA, a, lda, i, p + 2), a3 = alpha * A(opA, a, lda, i, p + 3);
                        T* b0 = b + (nint)p * ldb;
                        T* b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
                        var v0 = new Vector<T>(a0); var v1 = new Vector<T>(a1);
                        var v2 = new Vector<T>(a2); var v3 = new Vector<T>(a3);
                        int j = 0;
                        for (; j <= n - Vector<T>.Count; j += Vector<T>.Count)
                        {
                            var acc = Vector.Load(crow + j);
                            acc += v0 * Vector.Load(b0 + j);
                            acc += v1 * Vector.Load(b1 + j);
                            acc += v2 * Vector.Load(b2 + j);
                            acc += v3 * Vector.Load(b3 + j);
                            Vector.Store(acc, crow + j);
                        }
                        for (; j < n; j++) crow[j] += a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j];
                    }
                for (; p < k; p++)
                {
                    T av = alpha * (opA == Op.None ? a[(nint)i * lda + p] : a[(nint)p * lda + i]);
                    T* brow = b + (nint)p * ldb;
                    int j = 0;
                    if (Vector.IsHardwareAccelerated)
                    {
                        var va = new Vector<T>(av);
                        for (; j <= n - Vector<T>.Count; j += Vector<T>.Count)
                            Vector.Store(Vector.Load(crow + j) + va * Vector.Load(brow + j), crow + j);
                    }
                    for (; j < n; j++) crow[j] += av * brow[j];
                }
            }
            else
            {
                for (int j = 0; j < n; j++)
                {
                    T* brow = b + (nint)j * ldb;
                    T sum = T.Zero;
                    if (opA == Op.None)
                    {
                        T* arow = a + (nint)i * lda;
                        int p = 0;
                        if (Vector.IsHardwareAccelerated && k >= Vector<T>.Count)
                        {
                            var acc = Vector<T>.Zero;
                            for (; p <= k - Vector<T>.Count; p += Vector<T>.Count)
                                acc += Vector.Load(arow + p) * Vector.Load(brow + p);
                            sum = Vector.Sum(acc);
                        }
                        for (; p < k; p++) sum += arow[p] * brow[p];
                    }
                    else
                        for (int p = 0; p < k; p++) sum += a[(nint)p * lda + i] * brow[p];
                    crow[j] += alpha * sum;
                }
            }
        }
    }
    /// <summary>c[i·ldc] = beta·c[i·ldc] + alpha·(A[i, :] · b), A stored [M, K], b contiguous.</summary>
    private static unsafe void Gemv<T>(int m, int k, T alpha, T* a, int lda, T* b, T beta, T* c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector<T>.Count;
        for (int i = 0; i < m; i++)
        {
            T* row = a + (nint)i * lda;
            var acc = Vector<T>.Zero;
            int p = 0;
            for (; p <= k - w; p += w) acc += Vector.Load(row + p) * Vector.Load(b + p);
            T sum = Vector.Sum(acc);
            for (; p < k; p++) sum += row[p] * b[p];
            T* ci = c + (nint)i * ldc;
            *ci = beta == T.Zero ? alpha * sum : alpha * sum + beta * *ci;
        }
    }

    /// <summary>c = beta·c + alpha·Σ_p b[p]·A[p, :], A stored [K, M] (op(A) = Aᵀ), b and c contiguous.</summary>
    private static unsafe void GemvTransposed<T>(int m, int k, T alpha, T* a, int lda, T* b, T beta, T* c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ScaleRow(c, m, beta);
        int w = Vector<T>.Count;
        for (int p = 0; p < k; p++)
        {
            T s = alpha * b[p];
            if (s == T.Zero) continue;
            T* row = a + (nint)p * lda;
            var vs = new Vector<T>(s);
            int i = 0;
            for (; i <= m - w; i += w) Vector.Store(Vector.Load(c + i) + vs * Vector.Load(row + i), c + i);
            for (; i < m; i++) c[i] += s * row[i];
        }
    }
}


/// <summary>Arguments of one GEMM call, shared by the threads that compute its parts.</summary>
internal unsafe struct GemmArgs<T> where T : unmanaged
{
    public GemmSpec<T> Spec;
    public Op OpA, OpB;
    public int M, N, K, Lda, Ldb, Ldc;
    public T Alpha, Beta;
    public T* A, B, C, PackedB;
    public int GridM, GridN, Threads;
}

/// <summary>Per-thread packing buffers (64-byte aligned, pinned), grown once and then reused.</summary>
internal sealed unsafe class PackBuffers<T> where T : unmanaged
{
    [ThreadStatic] private static PackBuffers<T>? t_buffers;
    private T[] _a = [], _b = [];
    public T* A, B;

    public static PackBuffers<T> Get(GemmSpec<T> spec)
    {
        var buf = t_buffers ??= new PackBuffers<T>();
        int aSize = (spec.MC + spec.MR) * spec.KC;
        int bSize = spec.KC * ((spec.NC + spec.NR - 1) / spec.NR * spec.NR);
        if (buf._a.Length < aSize + 64) buf.A = Aligned(aSize, out buf._a);
        if (buf._b.Length < bSize + 64) buf.B = Aligned(bSize, out buf._b);
        return buf;
    }

    internal static T* Aligned(int size, out T[] array)
    {
        array = GC.AllocateUninitializedArray<T>(size + 64, pinned: true);
        nint p = (nint)Unsafe.AsPointer(ref array[0]);
        return (T*)((p + 63) & ~(nint)63);
    }
}
