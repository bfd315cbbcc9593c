using System.Numerics;
using CsCheck;
using Recur.Cells;

namespace Recur.Tests.Layers;

/// <summary>
/// The fused LSTM forward kernel against the cell's formulas in double, for widths around the vector size: a row
/// narrower than one vector (padded scratch), whole vectors, and whole vectors plus a partial one (the overlapping
/// last vector, computed before the loop overwrites the pre-activations it shares with it).
/// </summary>
public class LstmKernelTailTests
{
    public static TheoryData<CellType, int> Cases()
    {
        int n = Vector<float>.Count;
        var d = new TheoryData<CellType, int>();
        foreach (var cell in new[] { CellType.Lstm, CellType.LstmPeephole, CellType.LstmCoupled })
            // around the 8-lane vector and the 16-lane one (the two-pass AVX-512 kernel), and T3's H = 50
            foreach (int h in new[] { 3, n, n + 1, n + 3, 2 * n + 5, 3 * n - 1, 16, 17, 35, 50 }.Distinct())
                d.Add(cell, h);
        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_matches_the_formulas_at_every_width(CellType cell, int h)
    {
        const int B = 3;
        var rnd = new Random(h * 7 + (int)cell);
        float[] R(int len) => Enumerable.Range(0, len).Select(_ => (float)(rnd.NextDouble() * 4 - 2)).ToArray();
        var pre = R(B * 4 * h);
        var cPrev = R(B * h);
        bool peep = cell == CellType.LstmPeephole;
        var (pI, pF, pO) = peep ? (R(h), R(h), R(h)) : ([], [], []);
        var gates = (float[])pre.Clone();
        var c = new float[B * h]; var tanhC = new float[B * h]; var m = new float[B * h];
        LstmKernels.Forward(cell, B, h, gates, cPrev, c, tanhC, m, pI, pF, pO, 0, default);

        static double S(double x) => 1 / (1 + Math.Exp(-x));
        for (int b = 0; b < B; b++)
            for (int j = 0; j < h; j++)
            {
                int g = b * 4 * h;
                double cp = cPrev[b * h + j];
                double f = S(pre[g + h + j] + (peep ? pF[j] * cp : 0));
                double i = cell == CellType.LstmCoupled ? 1 - f : S(pre[g + j] + (peep ? pI[j] * cp : 0));
                double gg = Math.Tanh(pre[g + 2 * h + j]);
                double cv = f * cp + i * gg;
                double o = S(pre[g + 3 * h + j] + (peep ? pO[j] * cv : 0));
                string at = $"{cell} H={h} row {b} unit {j}";
                Near(i, gates[g + j], at + " i"); Near(f, gates[g + h + j], at + " f");
                Near(gg, gates[g + 2 * h + j], at + " g"); Near(o, gates[g + 3 * h + j], at + " o");
                Near(cv, c[b * h + j], at + " c"); Near(Math.Tanh(cv), tanhC[b * h + j], at + " tanh c");
                Near(o * Math.Tanh(cv), m[b * h + j], at + " h");
            }
    }

    [Fact]
    public void The_two_pass_16_lane_kernel_gives_the_one_pass_kernels_numbers_bit_for_bit()
    {
        if (!LstmGates512.IsSupported) return;   // no AVX-512 here: only the one-pass kernel runs
        Gen.Select(Gen.Int[1, 70], Gen.Int[1, 4], Gen.Int, Gen.Bool).Sample((h, batch, seed, aliasC) =>
        {
            var rnd = new Random(seed);
            float[] R(int len) => Enumerable.Range(0, len).Select(_ => (float)(rnd.NextDouble() * 12 - 6)).ToArray();
            int j0 = rnd.Next(h), j1 = j0 + 1 + rnd.Next(h - j0);
            int[] lengths = rnd.Next(3) == 0 ? Enumerable.Range(0, batch).Select(_ => rnd.Next(3)).ToArray() : [];
            foreach (var cell in new[] { CellType.Lstm, CellType.LstmCoupled })
            {
                var pre = R(batch * 4 * h); var cPrev = R(batch * h);
                float[] Run(bool twoPass)
                {
                    var gates = (float[])pre.Clone();
                    var c = aliasC ? (float[])cPrev.Clone() : new float[batch * h];   // aliased: c₋ is overwritten by c, as in a streaming step
                    var tanhC = new float[batch * h]; var m = new float[batch * h];
                    if (twoPass) LstmGates512.ForwardUnits(cell == CellType.LstmCoupled, batch, h, j0, j1, gates, aliasC ? c : cPrev, c, tanhC, m, 1, lengths);
                    else LstmKernels.ForwardUnitsOnePass(cell, batch, h, j0, j1, gates, aliasC ? c : cPrev, c, tanhC, m, default, default, default, 1, lengths);
                    return [.. gates, .. c, .. tanhC, .. m];
                }
                var one = Run(false); var two = Run(true);
                for (int k = 0; k < one.Length; k++)
                    Assert.True(BitConverter.SingleToInt32Bits(one[k]) == BitConverter.SingleToInt32Bits(two[k]),
                        $"{cell} H={h} B={batch} units [{j0}, {j1}) aliased={aliasC}: value {k}: {one[k]} against {two[k]}");
            }
        }, iter: 300);
    }

    private static void Near(double expected, float actual, string what)
        => Assert.True(Math.Abs(expected - actual) <= 2e-6 * (1 + Math.Abs(expected)), $"{what}: expected {expected}, got {actual}");

    [Fact]
    public void A_buffer_too_short_for_the_unchecked_vector_loop_is_refused_up_front()
    {
        const int B = 2, H = 16;
        var gates = new float[B * 4 * H];
        var ok = new float[B * H];
        var shortOne = new float[B * H - 1];
        Assert.Throws<ArgumentException>(() => LstmKernels.Forward(CellType.Lstm, B, H, gates, ok, ok, ok, shortOne, default, default, default, 0, default));
        Assert.Throws<ArgumentException>(() => LstmKernels.Forward(CellType.Lstm, B, H, gates.AsSpan(1), ok, ok, ok, ok, default, default, default, 0, default));
        Assert.Throws<ArgumentException>(() => LstmKernels.ForwardUnits(CellType.Lstm, B, H, 0, H + 8, gates, ok, ok, ok, ok, default, default, default, 0, default));
        Assert.Throws<ArgumentException>(() => LstmKernels.Forward(CellType.LstmPeephole, B, H, gates, ok, ok, ok, ok, new float[H], new float[H], new float[H - 1], 0, default));
    }

    [Fact]
    public void A_buffer_too_short_for_the_unchecked_backward_loop_is_refused_up_front()
    {
        const int B = 2, H = 16;
        var gates = new float[B * 4 * H];
        var dA = new float[B * 4 * H];
        var ok = new float[B * H];
        var shortOne = new float[B * H - 1];
        void Run(float[] g, float[] dc, float[] d, float[] dm) => LstmKernels.Backward(CellType.Lstm, B, H, g, ok, ok, dm, dc, d,
            default, default, default, default, default, default, ok, 0, default);
        Run(gates, new float[B * H], dA, ok);   // the right sizes pass
        Assert.Throws<ArgumentException>(() => Run(gates, shortOne, dA, ok));
        Assert.Throws<ArgumentException>(() => Run(gates, new float[B * H], new float[B * 4 * H - 1], ok));
        Assert.Throws<ArgumentException>(() => Run(new float[B * 4 * H - 1], new float[B * H], dA, ok));
        Assert.Throws<ArgumentException>(() => Run(gates, new float[B * H], dA, shortOne));
        var p = new float[H];
        Assert.Throws<ArgumentException>(() => LstmKernels.Backward(CellType.LstmPeephole, B, H, gates, ok, ok, ok, new float[B * H], dA,
            p, p, p, p, p, new float[H - 1], ok, 0, default));
    }
}
