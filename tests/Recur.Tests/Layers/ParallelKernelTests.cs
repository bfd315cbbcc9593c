using Recur.Cells;
using Recur.Kernels;
using Recur.Layers;
using Recur.Tensors;

namespace Recur.Tests.Layers;

/// <summary>Steps large enough for the threaded gate kernels (B·H ≥ 16K) give what one thread gives.</summary>
[Collection(nameof(Recur.Tests.Kernels.GlobalGemmSettings))]
public class ParallelKernelTests
{
    [Theory]
    [InlineData(CellType.Lstm, false)]
    [InlineData(CellType.LstmPeephole, true)]
    [InlineData(CellType.LstmCoupled, true)]
    public void ThreadedStepsMatchOneThread(CellType cell, bool withLengths)
    {
        const int T = 3, B = 67, I = 5, H = 257;
        var rng = new Random(11);
        var x = new Tensor(T, B, I);
        foreach (ref float v in x.Span) v = (float)(rng.NextDouble() * 2 - 1);
        var gradOut = new Tensor(T, B, H);
        foreach (ref float v in gradOut.Span) v = (float)(rng.NextDouble() * 2 - 1);
        int[]? lengths = withLengths ? Enumerable.Range(0, B).Select(b => 1 + b % T).ToArray() : null;

        (float[] Out, float[] Cn, float[] Dx, float[] DWhh) Run(int threads)
        {
            int saved = Gemm.Threads;
            Gemm.Threads = threads;
            try
            {
                var layer = new Recurrent(new RecurrentOptions(cell, I, H), seed: 3);
                var r = layer.Forward(x, lengths: lengths);
                var outCopy = r.Output.Clone().Data;
                var cn = r.CN!.Clone().Data;
                layer.ZeroGrad();
                var g = layer.Backward(gradOut);
                return (outCopy, cn, g.X.Clone().Data, layer["weight_hh_l0"].Grad.Clone().Data);
            }
            finally { Gemm.Threads = saved; }
        }

        var one = Run(1);
        var two = Run(2);
        AssertClose(one.Out, two.Out, "output");
        AssertClose(one.Cn, two.Cn, "c_n");
        AssertClose(one.Dx, two.Dx, "grad x");
        AssertClose(one.DWhh, two.DWhh, "grad weight_hh_l0");
    }

    private static void AssertClose(float[] expected, float[] actual, string name)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5f * (1 + Math.Abs(expected[i])),
                $"{name}[{i}]: one thread {expected[i]}, two threads {actual[i]}");
    }
}
