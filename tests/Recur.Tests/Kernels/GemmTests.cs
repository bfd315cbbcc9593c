using System.Numerics;
using CsCheck;
using Recur.Kernels;

namespace Recur.Tests.Kernels;

/// <summary>One GEMM problem: shapes, scalars, padding of each leading dimension, data seed.</summary>
public sealed record GemmCase(Op OpA, Op OpB, int M, int N, int K, double Alpha, double Beta,
    int PadA, int PadB, int PadC, int Seed)
{
    public int Lda => Math.Max(1, OpA == Op.None ? K : M) + PadA;   // BLAS: ld ≥ max(1, cols)
    public int Ldb => Math.Max(1, OpB == Op.None ? N : K) + PadB;
    public int Ldc => N + PadC;
    public int ARows => OpA == Op.None ? M : K;
    public int BRows => OpB == Op.None ? K : N;
}

internal static class GemmCheck
{
    public static readonly GemmKernel[] Kernels =
        [.. new[] { GemmKernel.Avx512, GemmKernel.Avx2, GemmKernel.Portable }.Where(Gemm.IsSupported)];

    // Sizes: 1, small odd/prime, and sizes crossing the register blocks (6, 8, 16, 32) and KC = 256.
    static readonly Gen<int> Dim = Gen.Frequency(
        (2, Gen.OneOf(Gen.Const(1), Gen.Const(7), Gen.Const(13), Gen.Const(31), Gen.Const(97))),
        (4, Gen.Int[1, 40]),
        (2, Gen.Int[41, 130]),
        (1, Gen.Int[200, 300]));
    static readonly Gen<double> Scalar = Gen.Frequency(
        (2, Gen.Const(0.0)), (3, Gen.Const(1.0)), (3, Gen.Int[-16, 16].Select(i => i / 8.0)));
    static readonly Gen<Op> OpGen = Gen.OneOf(Gen.Const(Op.None), Gen.Const(Op.Transpose));

    public static readonly Gen<GemmCase> Cases =
        Gen.Select(Gen.Select(OpGen, OpGen, Dim, Dim, Dim.Select(Gen.Int[0, 9], (k, z) => z == 0 ? 0 : k)),
                   Gen.Select(Scalar, Scalar), Gen.Select(Gen.Int[0, 3], Gen.Int[0, 3], Gen.Int[0, 3]), Gen.Int,
            (s, ab, pads, seed) => new GemmCase(s.Item1, s.Item2, s.Item3, s.Item4, s.Item5,
                ab.Item1, ab.Item2, pads.Item1, pads.Item2, pads.Item3, seed))
        .Where(c => (long)c.M * c.N * c.K <= 800_000);   // keeps the naive reference fast

    /// <summary>
    /// Cases with M·N·K in [minWork, 800 000], built so by construction (K drawn from the band that M·N leaves):
    /// filtering <see cref="Cases"/> instead rejects most draws, and CsCheck gives up after too many rejections.
    /// </summary>
    public static Gen<GemmCase> BigCases(long minWork) =>
        Gen.Select(Gen.Select(OpGen, OpGen, Gen.Int[1, 300], Gen.Int[1, 300], Gen.Double[0, 1]),
                   Gen.Select(Scalar, Scalar), Gen.Select(Gen.Int[0, 3], Gen.Int[0, 3], Gen.Int[0, 3]), Gen.Int,
            (s, ab, pads, seed) =>
            {
                long mn = (long)s.Item3 * s.Item4;
                long kLo = Math.Max(1, (minWork + mn - 1) / mn), kHi = Math.Max(kLo, 800_000 / mn);
                int k = (int)(kLo + (long)(s.Item5 * (kHi - kLo)));
                return new GemmCase(s.Item1, s.Item2, s.Item3, s.Item4, k,
                    ab.Item1, ab.Item2, pads.Item1, pads.Item2, pads.Item3, seed);
            });

    /// <summary>Runs the case on the kernel/thread count given and checks every element of the C buffer.</summary>
    public static void Run<T>(GemmCase g, GemmKernel kernel, int threads, bool packed = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rnd = new Random(g.Seed);
        var a = Fill<T>(rnd, Math.Max(1, (g.ARows - 1) * g.Lda + (g.OpA == Op.None ? g.K : g.M)));
        var b = Fill<T>(rnd, Math.Max(1, (g.BRows - 1) * g.Ldb + (g.OpB == Op.None ? g.N : g.K)));
        int cLen = Math.Max(1, (g.M - 1) * g.Ldc + g.N + g.PadC);   // extra tail: checks nothing past the block
        var c0 = Fill<T>(rnd, cLen);
        if (g.Beta == 0)   // beta = 0 must overwrite: NaN in the block must not propagate
            for (int i = 0; i < g.M; i++) for (int j = 0; j < g.N; j++) c0[i * g.Ldc + j] = T.NaN;
        var c = (T[])c0.Clone();
        T alpha = T.CreateChecked(g.Alpha), beta = T.CreateChecked(g.Beta);

        if (packed)
        {
            var pb = Gemm.PackB(g.OpB, g.K, g.N, (float[])(object)b, g.Ldb);
            Gemm.Run(kernel, threads, g.OpA, Op.None, g.M, g.N, g.K, alpha, a, g.Lda, default, 0, pb, beta, c, g.Ldc);
        }
        else
            Gemm.Run(kernel, threads, g.OpA, g.OpB, g.M, g.N, g.K, alpha, a, g.Lda, b, g.Ldb, null, beta, c, g.Ldc);

        // Reference: naive triple loop in double on op(A) [M,K] and op(B)ᵀ [N,K] copied out once.
        var opA = new double[g.M * g.K];
        var opBt = new double[g.N * g.K];
        for (int i = 0; i < g.M; i++)
            for (int p = 0; p < g.K; p++)
                opA[i * g.K + p] = double.CreateChecked(g.OpA == Op.None ? a[i * g.Lda + p] : a[p * g.Lda + i]);
        for (int j = 0; j < g.N; j++)
            for (int p = 0; p < g.K; p++)
                opBt[j * g.K + p] = double.CreateChecked(g.OpB == Op.None ? b[p * g.Ldb + j] : b[j * g.Ldb + p]);
        double u = typeof(T) == typeof(float) ? 6e-8 : 1.2e-16;
        for (int idx = 0; idx < cLen; idx++)
        {
            int i = idx / g.Ldc, j = idx % g.Ldc;
            if (i >= g.M || j >= g.N)
            {
                Assert.True(c[idx].Equals(c0[idx]), $"C[{i},{j}] outside the block changed: {c0[idx]} → {c[idx]} ({g})");
                continue;
            }
            var ar = opA.AsSpan(i * g.K, g.K);
            var bc = opBt.AsSpan(j * g.K, g.K);
            double sum = 0, mag = 0;
            for (int p = 0; p < ar.Length; p++) { double t = ar[p] * bc[p]; sum += t; mag += Math.Abs(t); }
            double got = double.CreateChecked(c[idx]);
            double want = g.Alpha * sum, scale = Math.Abs(g.Alpha) * mag;
            if (g.Beta != 0) { double cv = double.CreateChecked(c0[idx]); want += g.Beta * cv; scale += Math.Abs(g.Beta * cv); }
            double tol = 4 * (g.K + 4) * u * scale + 1e-30;
            if (!(Math.Abs(got - want) <= tol))
                Assert.Fail($"C[{i},{j}] = {got}, want {want} (|err| {Math.Abs(got - want):g3} > tol {tol:g3}); {kernel}, {threads} threads, packed {packed}: {g}");
        }
    }

    static T[] Fill<T>(Random rnd, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = new T[n];
        for (int i = 0; i < n; i++) x[i] = T.CreateChecked(rnd.NextDouble() * 2 - 1);
        return x;
    }
}

public class GemmTests
{
    [Fact]
    public void Sgemm_matches_naive_for_random_cases_on_every_kernel_and_thread_count()
    {
        GemmCheck.Cases.Sample(g =>
        {
            foreach (var kernel in GemmCheck.Kernels)
                GemmCheck.Run<float>(g, kernel, threads: 1 + (g.Seed & 3) % 3);
        }, iter: 100);
    }

    [Fact]
    public void Sgemm_multithreaded_pool_matches_naive()
    {
        // One sampling thread, so the GEMM owns the worker pool and really splits the work.
        GemmCheck.BigCases(300_000).Sample(g =>
        {
            foreach (var kernel in GemmCheck.Kernels)
                GemmCheck.Run<float>(g, kernel, threads: 2 + (g.Seed & 1));
        }, iter: 12, threads: 1);
    }

    [Fact]
    public void Sgemm_with_packed_B_matches_naive()
    {
        foreach (var kernel in GemmCheck.Kernels)
        {
            GemmCase? last = null;
            var saved = Gemm.Kernel;
            try
            {
                // PackB follows the process-wide switch; this test class runs alone (see GlobalGemmSettings).
                Gemm.Kernel = kernel;
                GemmCheck.Cases.Sample(g => { last = g; GemmCheck.Run<float>(g, kernel, threads: 1 + (g.Seed & 1), packed: true); },
                    iter: 40, threads: 1);
            }
            finally { Gemm.Kernel = saved; }
        }
    }

    [Fact]
    public void Every_edge_panel_width_matches_naive_packed_or_not()
    {
        // N = 32 + w for w = 1..32: the last B̃ panel has w valid columns, which picks the 8-, 16-, 24- or full
        // 32-wide kernel (AVX-512); M = 16 and K = 50 are T3's per-step shape, past the small-GEMM path.
        foreach (var kernel in GemmCheck.Kernels)
        {
            var saved = Gemm.Kernel;
            try
            {
                Gemm.Kernel = kernel;   // PackB follows the process-wide switch
                for (int w = 1; w <= 32; w++)
                    foreach (var beta in new[] { 0.0, 1.0 })
                    {
                        var g = new GemmCase(Op.None, w % 2 == 0 ? Op.None : Op.Transpose, 16, 32 + w, 50, 1.0, beta, 0, 1, 2, w);
                        GemmCheck.Run<float>(g, kernel, threads: 1 + (w & 1));
                        if (g.OpB == Op.None) GemmCheck.Run<float>(g, kernel, threads: 1, packed: true);
                    }
            }
            finally { Gemm.Kernel = saved; }
        }
    }

    [Fact]
    public void Dgemm_matches_naive_for_random_cases_on_every_kernel_and_thread_count()
    {
        GemmCheck.Cases.Sample(g =>
        {
            foreach (var kernel in GemmCheck.Kernels)
                GemmCheck.Run<double>(g, kernel, threads: 1 + (g.Seed & 3) % 3);
        }, iter: 50);
    }

    public static TheoryData<int, int, int, Op, Op> Edges => new()
    {
        { 1, 1, 1, Op.None, Op.None },
        { 3, 2100, 3, Op.None, Op.None },          // N crosses NC = 2048
        { 2, 2100, 5, Op.Transpose, Op.Transpose },
        { 9, 40, 600, Op.None, Op.Transpose },      // K crosses KC = 256 twice
        { 400, 33, 20, Op.Transpose, Op.None },     // M crosses MC = 192
        { 32, 1024, 48, Op.None, Op.None },         // recurrent step shape, smaller K
        { 64, 64, 64, Op.Transpose, Op.Transpose },
        { 1, 300, 200, Op.None, Op.None },          // GEMV-like
        { 300, 1, 200, Op.None, Op.Transpose },
        { 5, 7, 0, Op.None, Op.None },              // K = 0: C = beta·C
        { 120, 200, 1, Op.None, Op.Transpose },     // K = 1: an input layer of one feature (rank-1 update)
        { 37, 21, 1, Op.Transpose, Op.None },
    };

    [Theory, MemberData(nameof(Edges))]
    public void Edge_shapes_on_every_kernel_with_one_and_two_threads(int m, int n, int k, Op opA, Op opB)
    {
        foreach (var kernel in GemmCheck.Kernels)
            foreach (int threads in new[] { 1, 2 })
                foreach (var (alpha, beta) in new[] { (1.0, 0.0), (-0.5, 1.0), (2.0, -0.75) })
                {
                    var g = new GemmCase(opA, opB, m, n, k, alpha, beta, 1, 2, 3, m * 31 + n * 7 + k);
                    GemmCheck.Run<float>(g, kernel, threads);
                    GemmCheck.Run<double>(g, kernel, threads);
                }
    }

    [Fact]
    public void Alpha_zero_scales_C_by_beta_without_reading_A_or_B()
    {
        float[] a = [float.NaN, float.NaN], b = [float.NaN, float.NaN], c = [2, 4];
        Gemm.Sgemm(Op.None, Op.None, 1, 2, 1, 0f, a, 1, b, 2, 0.5f, c, 2);
        Assert.Equal([1f, 2f], c);
        c = [float.NaN, float.NaN];
        Gemm.Sgemm(Op.None, Op.None, 1, 2, 1, 0f, a, 1, b, 2, 0f, c, 2);
        Assert.Equal([0f, 0f], c);
    }

    [Fact]
    public void Concurrent_callers_get_correct_results()
    {
        // Two callers at once: one owns the workers, the other runs on its own thread.
        var g1 = new GemmCase(Op.None, Op.None, 64, 256, 128, 1, 0, 0, 0, 0, 1);
        var g2 = new GemmCase(Op.Transpose, Op.Transpose, 70, 150, 90, 0.5, 1, 1, 1, 1, 2);
        Parallel.For(0, 8, i => GemmCheck.Run<float>(i % 2 == 0 ? g1 : g2, GemmKernel.Auto, 2));
    }

    [Fact]
    public void Argument_errors_are_clear()
    {
        var x = new float[100];
        Assert.Contains("negative size", Assert.Throws<ArgumentException>(() =>
            Gemm.Sgemm(Op.None, Op.None, -1, 2, 2, 1, x, 2, x, 2, 0, x, 2)).Message);
        Assert.Contains("leading dimension of A is 3, needs at least 4", Assert.Throws<ArgumentException>(() =>
            Gemm.Sgemm(Op.None, Op.None, 2, 2, 4, 1, x, 3, x, 2, 0, x, 2)).Message);
        Assert.Contains("leading dimension of B", Assert.Throws<ArgumentException>(() =>
            Gemm.Sgemm(Op.None, Op.Transpose, 2, 2, 4, 1, x, 4, x, 3, 0, x, 2)).Message);
        Assert.Contains("C stored [20, 10]", Assert.Throws<ArgumentException>(() =>
            Gemm.Sgemm(Op.None, Op.None, 20, 10, 1, 1, x, 1, x, 10, 0, x, 10)).Message);
        Assert.Contains("A stored [30, 2]", Assert.Throws<ArgumentException>(() =>
            Gemm.Dgemm(Op.Transpose, Op.None, 2, 2, 30, 1, new double[50], 2, new double[60], 2, 0, new double[4], 2)).Message);
        Assert.Contains("B stored [10, 20]", Assert.Throws<ArgumentException>(() =>
            Gemm.PackB(Op.None, 10, 20, x, 20)).Message);
        var packed = Gemm.PackB(Op.None, 4, 5, x, 5);
        Assert.Contains("A stored [3, 4]", Assert.Throws<ArgumentException>(() =>
            Gemm.Sgemm(Op.None, 3, 1, x.AsSpan(0, 10), 4, packed, 0, x, 5)).Message);
        Assert.Throws<ArgumentNullException>(() => Gemm.Sgemm(Op.None, 3, 1, x, 4, null!, 0, x, 5));
    }
}

/// <summary>Tests that change the process-wide switches run alone, after the parallel ones.</summary>
[CollectionDefinition(nameof(GlobalGemmSettings), DisableParallelization = true)]
public sealed class GlobalGemmSettings;

[Collection(nameof(GlobalGemmSettings))]
public class GemmSwitchTests
{
    [Fact]
    public void Kernel_switch_forces_each_supported_path_and_rejects_unsupported_ones()
    {
        var saved = Gemm.Kernel;
        try
        {
            Assert.NotEqual(GemmKernel.Auto, Gemm.ActiveKernel);
            foreach (var kernel in Enum.GetValues<GemmKernel>())
            {
                if (!Gemm.IsSupported(kernel))
                {
                    var e = Assert.Throws<NotSupportedException>(() => Gemm.Kernel = kernel);
                    Assert.Contains(kernel.ToString(), e.Message);
                    continue;
                }
                Gemm.Kernel = kernel;
                Assert.Equal(kernel, Gemm.Kernel);
                if (kernel != GemmKernel.Auto) Assert.Equal(kernel, Gemm.ActiveKernel);
                var packed = Gemm.PackB(Op.None, 3, 3, new float[9], 3);
                Assert.Equal(Gemm.ActiveKernel, packed.Kernel);
                // Public entry points run through the forced kernel.
                float[] a = [1, 2, 3, 4, 5, 6], b = [1, 0, 0, 1, 1, 1], c = new float[4];
                Gemm.Sgemm(Op.None, Op.None, 2, 2, 3, 1f, a, 3, b, 2, 0f, c, 2);
                Assert.Equal([4f, 5f, 10f, 11f], c);
            }
            Assert.True(Gemm.IsSupported(GemmKernel.Portable));
        }
        finally { Gemm.Kernel = saved; }
    }

    [Fact]
    public void Threads_setting_is_validated_and_used()
    {
        int saved = Gemm.Threads;
        try
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Threads = 0);
            foreach (int t in new[] { 1, 2, 4 })
            {
                Gemm.Threads = t;
                Assert.Equal(t, Gemm.Threads);
                var g = new GemmCase(Op.None, Op.Transpose, 96, 200, 70, 1, 0.5, 0, 0, 0, t);
                GemmCheck.Run<float>(g, GemmKernel.Auto, Gemm.Threads);
            }
        }
        finally { Gemm.Threads = saved; }
    }

    [Fact]
    public void Many_tiles_per_thread_handed_out_dynamically_match_naive()
    {
        long saved = Gemm.TileWork;
        double savedOverhead = Gemm.PackOverhead;
        try
        {
            Gemm.TileWork = 20_000;   // every sampled case splits into up to 4 tiles per thread
            Gemm.PackOverhead = 10;
            GemmCheck.BigCases(100_000).Sample(g =>
            {
                foreach (var kernel in GemmCheck.Kernels)
                {
                    GemmCheck.Run<float>(g, kernel, threads: 2 + (g.Seed & 1));
                    GemmCheck.Run<double>(g, kernel, threads: 2);
                }
            }, iter: 10, threads: 1);
        }
        finally { Gemm.TileWork = saved; Gemm.PackOverhead = savedOverhead; }
    }

    [Fact]
    public void Packed_B_repacks_in_place_after_the_weights_change()
    {
        int k = 300, n = 70, m = 5;
        var rnd = new Random(5);
        var w = new float[k * n];
        var x = new float[m * k];
        for (int i = 0; i < w.Length; i++) w[i] = (float)rnd.NextDouble();
        for (int i = 0; i < x.Length; i++) x[i] = (float)rnd.NextDouble();
        var packed = Gemm.PackB(Op.None, k, n, w, n);
        for (int i = 0; i < w.Length; i++) w[i] = -2 * w[i];
        packed.Repack(Op.None, k, n, w, n);
        var got = new float[m * n];
        var want = new float[m * n];
        Gemm.Sgemm(Op.None, m, 1f, x, k, packed, 0f, got, n);
        Gemm.Sgemm(Op.None, Op.None, m, n, k, 1f, x, k, w, n, 0f, want, n);
        Assert.Equal(want, got);
        Assert.Equal((k, n), (packed.K, packed.N));
    }
}
