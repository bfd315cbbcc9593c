using Recur.Cells;
using Recur.Kernels;
using Recur.Layers;
using Recur.Tensors;
using Recur.Tests.Kernels;
using Recur.Tests.Reference;
using Recur.Training;

namespace Recur.Tests.Layers;

/// <summary>
/// A sweep split into row groups (each thread runs every step of its own batch rows) gives exactly the numbers of
/// the whole-batch sweep on one thread: outputs, final states and every gradient, bit for bit, for every cell,
/// with per-sequence lengths, initial states, two layers, both directions and recurrent dropout. The one exception:
/// the weight gradients of an LSTM without projection and of an Elman RNN are summed group by group, then added
/// (another order of the same sum).
/// </summary>
[Collection(nameof(GlobalGemmSettings))]
public class RowGroupTests
{
    // 21 rows: groups of 8 and 13, so one group ends inside an 8-row panel.
    private const int T = 7, B = 21, I = 5, H = 11;

    public static TheoryData<CellType, bool, int, bool> Cases()
    {
        var d = new TheoryData<CellType, bool, int, bool>();
        foreach (var cell in Enum.GetValues<CellType>())
        {
            d.Add(cell, false, 0, false);
            d.Add(cell, true, 0, false);
            if (cell != CellType.GruResetBefore) d.Add(cell, false, 0, true);
        }
        d.Add(CellType.Lstm, false, 4, false);
        d.Add(CellType.Lstm, true, 4, true);
        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Row_groups_equal_the_whole_batch_bit_for_bit(CellType cell, bool bidirectional, int proj, bool dropout)
    {
        var o = new RecurrentOptions(cell, I, H, 2, bidirectional, proj);
        int LD = 2 * o.Directions;
        var rnd = new Random(5);
        var x = Random(rnd, T, B, I);
        var h0 = Random(rnd, LD, B, o.StateSize);
        var c0 = cell.IsLstm() ? Random(rnd, LD, B, H) : null;
        var gOut = Random(rnd, T, B, o.OutputSize);
        var gHN = Random(rnd, LD, B, o.StateSize);
        var gCN = cell.IsLstm() ? Random(rnd, LD, B, H) : null;
        int[] lengths = Enumerable.Range(0, B).Select(b => 1 + (b * 5) % T).ToArray();

        int paramStart = 0;
        float[][] Run(int threads)
        {
            int savedThreads = Gemm.Threads;
            long savedWork = RecurrentDirection.MaxRowSplitWork;
            Gemm.Threads = threads;
            RecurrentDirection.MaxRowSplitWork = long.MaxValue;
            try
            {
                var layer = new Recurrent(o, seed: 9);
                if (dropout) layer.RecurrentDropout = new RecurrentDropout(0.3f, new Rng(4));
                var r = layer.Forward(x, h0, c0, lengths);
                var results = new List<float[]> { r.Output.Span.ToArray(), r.HN.Span.ToArray() };
                if (r.CN is not null) results.Add(r.CN.Span.ToArray());
                var g = layer.Backward(gOut, gHN, gCN);
                results.Add(g.X.Span.ToArray());
                results.Add(g.H0.Span.ToArray());
                if (g.C0 is not null) results.Add(g.C0.Span.ToArray());
                paramStart = results.Count;
                results.AddRange(layer.Parameters.Select(p => p.Grad.Span.ToArray()));
                return results.ToArray();
            }
            finally
            {
                Gemm.Threads = savedThreads;
                RecurrentDirection.MaxRowSplitWork = savedWork;
            }
        }

        var whole = Run(1);
        long before = RecurrentDirection.SplitSweeps, groupSums = RecurrentDirection.GroupGradientSweeps;
        var split = Run(2);
        Assert.True(RecurrentDirection.SplitSweeps > before, "no sweep was split into row groups");
        bool byGroup = cell is CellType.Lstm or CellType.LstmCoupled or CellType.RnnTanh or CellType.RnnRelu && proj == 0;
        Assert.Equal(byGroup, RecurrentDirection.GroupGradientSweeps > groupSums);
        Assert.Equal(whole.Length, split.Length);
        for (int i = 0; i < whole.Length; i++)
            if (byGroup && i >= paramStart) Compare.Close($"{cell}: gradient {i - paramStart}", whole[i], split[i], 1e-5);
            else Assert.True(whole[i].AsSpan().SequenceEqual(split[i]), $"result {i} differs between row groups and the whole batch");
    }

    [Fact]
    public void Small_batches_and_large_steps_are_not_split()
    {
        int savedThreads = Gemm.Threads;
        long savedWork = RecurrentDirection.MaxRowSplitWork;
        try
        {
            Gemm.Threads = 2;
            long before = RecurrentDirection.SplitSweeps;
            // 15 rows: not two groups of 8.
            new Recurrent(new RecurrentOptions(CellType.Lstm, 3, 8), seed: 1).Forward(Random(new Random(1), 4, 15, 3));
            Assert.Equal(before, RecurrentDirection.SplitSweeps);
            // 16 rows, 16·4·8·8 multiply-adds per step: above a lowered limit, split by columns instead.
            var layer = new Recurrent(new RecurrentOptions(CellType.Lstm, 3, 8), seed: 1);
            var x = Random(new Random(1), 4, 16, 3);
            RecurrentDirection.MaxRowSplitWork = 16 * 4 * 8 * 8 - 1;
            layer.Forward(x);
            Assert.Equal(before, RecurrentDirection.SplitSweeps);
            RecurrentDirection.MaxRowSplitWork = 16 * 4 * 8 * 8;
            layer.Forward(x);
            Assert.Equal(before + 1, RecurrentDirection.SplitSweeps);
        }
        finally
        {
            Gemm.Threads = savedThreads;
            RecurrentDirection.MaxRowSplitWork = savedWork;
        }
    }

    private static Tensor Random(Random rnd, params int[] shape)
    {
        var t = new Tensor(shape);
        foreach (ref float v in t.Span) v = (float)(rnd.NextDouble() * 2 - 1);
        return t;
    }
}
