using Recur.Kernels;
using Recur.Layers;
using Recur.Tensors;
using Recur.Training;

namespace Recur.Tests.Training;

/// <summary>A step split over the GEMM threads (or into parts run here when the workers are taken) updates every
/// value exactly as one thread does.</summary>
public class OptimizerParallelTests
{
    /// <summary>Parameters of odd lengths (parts end inside a parameter and inside a vector), ≈ 2.3 × the split threshold.</summary>
    private static List<(string, Parameter)> Parameters(int seed)
    {
        var rnd = new Random(seed);
        var ps = new List<(string, Parameter)>();
        foreach (int n in new[] { 37, 90_001, 5, 60_013, 3 })
        {
            var p = new Parameter($"p{n}", new Tensor(n));
            for (int i = 0; i < n; i++) { p.Value.Span[i] = (float)rnd.NextDouble() - 0.5f; p.Grad.Span[i] = (float)rnd.NextDouble() - 0.5f; }
            ps.Add((p.Name, p));
        }
        return ps;
    }

    [Theory]
    [InlineData(OptimizerKind.Adam)]
    [InlineData(OptimizerKind.AdamW)]
    [InlineData(OptimizerKind.Sgd)]
    [InlineData(OptimizerKind.RmsProp)]
    public void Split_step_equals_the_one_thread_step(OptimizerKind kind)
    {
        var options = new OptimizerOptions(kind, Momentum: 0.9f, WeightDecay: 0.01f);
        Assert.True(Parameters(1).Sum(p => (long)p.Item2.Value.Length) >= 2 * Optimizer.ParallelValues);
        int saved = Gemm.Threads;
        try
        {
            var serial = Parameters(1);
            var split = Parameters(1);
            var optSerial = Optimizer.Create(serial, options);
            var optSplit = Optimizer.Create(split, options);
            for (int step = 0; step < 3; step++)
            {
                Gemm.Threads = 1;
                optSerial.Step(0.01f);
                Gemm.Threads = 3;
                optSplit.Step(0.01f);
            }
            for (int k = 0; k < serial.Count; k++)
                Assert.Equal(serial[k].Item2.Value.Span.ToArray(), split[k].Item2.Value.Span.ToArray());
            foreach (var ((_, a), (_, b)) in optSerial.State.Zip(optSplit.State))
                Assert.Equal(a.Span.ToArray(), b.Span.ToArray());
        }
        finally { Gemm.Threads = saved; }
    }
}
