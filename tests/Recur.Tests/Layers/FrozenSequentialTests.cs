using Recur.Cells;
using Recur.Kernels;
using Recur.Layers;
using Recur.Tensors;
using Recur.Tests.Reference;
using Recur.Training;

namespace Recur.Tests.Layers;

/// <summary>The generation copy (<see cref="FrozenSequential"/>) steps like the model it was made from, and keeps
/// the weights it was made with; its interleaved LSTM weights give the row-major dot products.</summary>
[Collection(nameof(Recur.Tests.Kernels.GlobalGemmSettings))]
public class FrozenSequentialTests
{
    public static TheoryData<CellType, int, int, float, int, int> Cases => new()
    {
        { CellType.Lstm, 6, 1, 0f, 1, 1 },            // one group of four and a partial one
        { CellType.Lstm, 98, 2, 0f, 2, 2 },           // two parts: units [0, 48) and [48, 98), the last group half full
        { CellType.Lstm, 98, 2, 0f, 2, 1 },           // made for two threads, stepped on one: it runs both parts
        { CellType.LstmPeephole, 98, 2, 0f, 2, 2 },
        { CellType.LstmCoupled, 40, 3, 0.2f, 2, 2 },  // three modules (dropout between them splits the stack)
        { CellType.Gru, 20, 2, 0f, 2, 2 },            // no interleaved copy: the same steps as the model's
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Frozen_steps_match_the_model(CellType cell, int hidden, int layers, float dropout, int threads, int stepThreads)
    {
        const int V = 17, E = 32;
        int saved = Gemm.Threads;
        Gemm.Threads = threads;
        try
        {
            var model = new Sequential(new SequentialOptions(cell, E, hidden, layers, V, VocabSize: V, Dropout: dropout), new Rng(5));
            var frozen = new FrozenSequential(model);
            Assert.Equal(cell != CellType.Gru, frozen.StepsAsOneJob);   // LSTM stacks: one parallel job per step
            Gemm.Threads = stepThreads;
            var live = model.CreateStreamState();
            var copy = frozen.CreateState();
            var want = new float[V];
            var got = new float[V];
            var scratch = new ScratchBuffer();
            for (int t = 0; t < 40; t++)
            {
                int token = t * 7 % V;
                model.Step(token, live, want, scratch);
                frozen.Step(token, copy, got);
                Compare.Close($"{cell} H={hidden}: logits at step {t}", want, got, 1e-5);
            }
            for (int k = 0; k < live.Length; k++)
            {
                Compare.Close($"{cell}: h of module {k}", live[k].H.Span, copy[k].H.Span, 1e-5);
                if (live[k].C is { } c) Compare.Close($"{cell}: c of module {k}", c.Span, copy[k].C!.Span, 1e-5);
            }
        }
        finally { Gemm.Threads = saved; }
    }

    [Fact]
    public void A_state_the_step_does_not_take_is_reported_by_the_model()
    {
        var model = new Sequential(new SequentialOptions(CellType.Lstm, 8, 32, 2, 11, VocabSize: 11), new Rng(3));
        var frozen = new FrozenSequential(model);
        Assert.True(frozen.StepsAsOneJob);
        Assert.Throws<ArgumentException>(() => frozen.Step(1, frozen.CreateState(batch: 2), new float[11]));
        Assert.Throws<ArgumentOutOfRangeException>(() => frozen.Step(11, frozen.CreateState(), new float[11]));
    }

    [Fact]
    public void Frozen_copy_keeps_the_weights_it_was_made_with()
    {
        const int V = 11;
        var model = new Sequential(new SequentialOptions(CellType.Lstm, 8, 12, 2, V, VocabSize: V), new Rng(9));
        var frozen = new FrozenSequential(model);
        float[] Run(Action<int, RecurrentState[], float[]> step, RecurrentState[] state)
        {
            var all = new List<float>();
            var logits = new float[V];
            for (int t = 0; t < 10; t++) { step(t % V, state, logits); all.AddRange(logits); }
            return all.ToArray();
        }
        var scratch = new ScratchBuffer();
        var before = Run((tok, s, l) => frozen.Step(tok, s, l), frozen.CreateState());
        var liveBefore = Run((tok, s, l) => model.Step(tok, s, l, scratch), model.CreateStreamState());

        foreach (ref float w in model["rnn.weight_hh_l0"].Value.Span) w *= 2;   // the original changes (as by training)
        var after = Run((tok, s, l) => frozen.Step(tok, s, l), frozen.CreateState());
        var liveAfter = Run((tok, s, l) => model.Step(tok, s, l, scratch), model.CreateStreamState());

        Assert.Equal(before, after);
        Assert.NotEqual(liveBefore, liveAfter);
    }

    [Theory]
    [InlineData(64, 256, 0, 256)]
    [InlineData(64, 256, 128, 256)]
    [InlineData(3, 50, 0, 50)]
    [InlineData(3, 50, 16, 48)]
    [InlineData(1, 6, 4, 6)]
    [InlineData(20, 13, 0, 13)]
    public unsafe void Interleaved_gates_equal_row_major_dot_products(int input, int hidden, int j0, int j1)
    {
        var rng = new Random(input * 31 + hidden);
        float[] R(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var wIh = R(4 * hidden * input);
        var wHh = R(4 * hidden * hidden);
        var bias = R(4 * hidden);
        var x = R(input);
        var h = R(hidden);
        var packed = new LstmStreamWeights(wIh, wHh, input, hidden);
        Assert.Equal(0, packed.Width % 16);
        var xh = new float[packed.Width];
        x.CopyTo(xh, 0);
        h.CopyTo(xh, input);
        var got = Enumerable.Repeat(float.NaN, 4 * hidden).ToArray();   // rows outside [j0, j1) stay untouched
        fixed (float* pxh = xh, pb = bias, pa = got) packed.Gates(pxh, pb, pa, j0, j1);
        for (int q = 0; q < 4; q++)
            for (int j = 0; j < hidden; j++)
            {
                int r = q * hidden + j;
                if (j < j0 || j >= j1) { Assert.True(float.IsNaN(got[r]), $"row {r} (unit {j}) outside [{j0}, {j1}) was written"); continue; }
                double want = bias[r];
                for (int k = 0; k < input; k++) want += (double)x[k] * wIh[r * input + k];
                for (int k = 0; k < hidden; k++) want += (double)h[k] * wHh[r * hidden + k];
                Assert.True(Math.Abs(got[r] - want) <= 1e-5 * Math.Max(1, Math.Abs(want)) * (input + hidden),
                    $"row {r} (gate {q}, unit {j}): {got[r]} against {want}");
            }
    }
}
