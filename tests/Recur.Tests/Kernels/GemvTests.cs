using Recur.Kernels;

namespace Recur.Tests.Kernels;

public class GemvTests
{
    [Theory]
    [InlineData(1, 1024, 256, 0f)]     // split over the worker threads
    [InlineData(2, 1000, 300, 1f)]     // odd row count, beta = 1
    [InlineData(4, 515, 97, 0.5f)]
    [InlineData(1, 7, 3, 0f)]          // serial
    [InlineData(3, 33, 1, 2f)]
    public void MatchesNaiveDotProducts(int m, int n, int k, float beta)
    {
        var rng = new Random(m * 1000 + n + k);
        int ldx = k + 3, ldw = k + 1, ldy = n + 5;
        var x = Random(rng, m * ldx);
        var w = Random(rng, n * ldw);
        var y = Random(rng, m * ldy);
        var expected = (float[])y.Clone();
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double d = 0;
                for (int p = 0; p < k; p++) d += (double)x[i * ldx + p] * w[j * ldw + p];
                expected[i * ldy + j] = (float)(d + (beta == 0f ? 0 : beta * (double)y[i * ldy + j]));
            }
        foreach (int threads in new[] { 1, 2, 3 })
        {
            int saved = Gemm.Threads;
            Gemm.Threads = threads;
            try
            {
                var got = (float[])y.Clone();
                Gemv.MultiplyTransposed(m, n, k, x, ldx, w, ldw, beta, got, ldy);
                for (int i = 0; i < got.Length; i++)
                    Assert.True(Math.Abs(got[i] - expected[i]) <= 1e-4f * (1 + Math.Abs(expected[i])),
                        $"threads {threads}: y[{i}] = {got[i]}, expected {expected[i]}");   // padding untouched too
            }
            finally { Gemm.Threads = saved; }
        }
    }

    [Fact]
    public void ConcurrentCallersGetTheirOwnResults()
    {
        const int n = 512, k = 256;
        var rng = new Random(5);
        var w = Random(rng, n * k);
        var xs = Enumerable.Range(0, 4).Select(_ => Random(rng, k)).ToArray();
        var serial = xs.Select(x =>
        {
            var y = new float[n];
            Gemv.MultiplyTransposed(1, n, k, x, k, w, k, 0f, y, n);
            return y;
        }).ToArray();
        Parallel.For(0, 200, i =>
        {
            var y = new float[n];
            Gemv.MultiplyTransposed(1, n, k, xs[i % 4], k, w, k, 0f, y, n);
            Assert.Equal(serial[i % 4], y);
        });
    }

    private static float[] Random(Random rng, int length)
    {
        var a = new float[length];
        for (int i = 0; i < length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        return a;
    }
}
