using Recur.Kernels;

namespace Recur.Bench;

/// <summary>One GEMM benchmark shape: C[M,N] = op(A)[M,K]·B[K,N].</summary>
public sealed record GemmShape(int M, int K, int N, bool TransA = false)
{
    /// <summary>Stable name: <c>gemm MxKxN</c>.</summary>
    public string Name => $"gemm {M}x{K}x{N}";
    public double Flops => 2.0 * M * N * K;
}

/// <summary>`recur bench gemm`: our SGEMM vs OpenBLAS (when present) on the same shapes, in one run.</summary>
public static class GemmBench
{
    /// <summary>Square 256…2048, then the recurrent shapes (forward step, bigger step, input projection,
    /// weight gradient with A transposed: stored [3200, 1024]).</summary>
    public static readonly GemmShape[] Shapes =
    [
        new(256, 256, 256), new(512, 512, 512), new(1024, 1024, 1024), new(2048, 2048, 2048),
        new(32, 256, 1024), new(64, 512, 2048), new(3200, 64, 1024), new(1024, 3200, 256, TransA: true),
    ];

    /// <summary>
    /// Times every shape: ours and OpenBLAS on the same matrices, <paramref name="repeat"/> alternating
    /// samples each after warm-up; reports medians and ranges. <paramref name="log"/> receives progress lines (stderr in the CLI).
    /// </summary>
    public static BenchReport Run(int threads, int repeat, IReadOnlyList<GemmShape>? shapes = null, Action<string>? log = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(repeat, 1);
        shapes ??= Shapes;
        var report = new BenchReport(MachineInfo.Current(threads));
        var blas = OpenBlas.TryLoad();
        if (blas == null) report.Notes.Add("OpenBLAS not found: peer columns empty (install libopenblas0-pthread to compare).");
        else
        {
            blas.SetThreads(threads);
            report.Notes.Add(blas.IdleSpin);
        }
        report.Notes.Add($"our kernel: {Gemm.ActiveKernel}; ratio = ours / {blas?.Name ?? "peer"}");

        int savedThreads = Gemm.Threads;
        Gemm.Threads = threads;
        try
        {
            foreach (var s in shapes)
            {
                log?.Invoke($"{s.Name} ...");
                var rnd = new Random(1);
                var a = Random(rnd, s.M * s.K);
                var b = Random(rnd, s.K * s.N);
                var c = new float[s.M * s.N];
                var opA = s.TransA ? Op.Transpose : Op.None;
                int lda = s.TransA ? s.M : s.K;
                Action oursCall = () => Gemm.Sgemm(opA, Op.None, s.M, s.N, s.K, 1f, a, lda, b, s.N, 0f, c, s.N);
                Action[] calls = blas == null ? [oursCall]
                    : [oursCall, () => blas.Sgemm(s.TransA, false, s.M, s.N, s.K, 1f, a, lda, b, s.N, 0f, c, s.N)];
                // Samples alternate ours / OpenBLAS, so both see the same load on a shared machine.
                var stats = Timing.Interleaved(calls, repeat);
                var ours = stats[0].Invert(t => s.Flops / t / 1e9);
                Stats? peer = blas == null ? null : stats[1].Invert(t => s.Flops / t / 1e9);
                report.Results.Add(BenchResult.From(s.Name, "GFLOP/s", ours, peer, blas?.Name));
            }
        }
        finally { Gemm.Threads = savedThreads; }
        return report;
    }

    private static float[] Random(Random rnd, int n)
    {
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(rnd.NextDouble() * 2 - 1);
        return x;
    }
}
