using System.Numerics;
using Recur.Cells;

namespace Recur.Tests.Layers;

/// <summary>The GRU reset-after kernels against their formulas in double, at widths around the vector size
/// (vector loop, tail, both), with one row past its length.</summary>
public class GruKernelTests
{
    public static TheoryData<int> Widths()
    {
        int n = Vector<float>.Count;
        return new TheoryData<int>(3, n, n + 1, 2 * n + 5);
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Reset_after_backward_matches_the_formulas(int h)
    {
        const int B = 3, t = 2;
        var rnd = new Random(h);
        float[] R(int len, double lo, double hi) => Enumerable.Range(0, len).Select(_ => (float)(lo + rnd.NextDouble() * (hi - lo))).ToArray();
        var gates = R(B * 3 * h, 0.05, 0.95);           // r, z in (0, 1); n in (0, 1) ⊂ (−1, 1)
        var hh = R(B * 3 * h, -2, 2);
        var hPrev = R(B * h, -1, 1);
        var dh = R(B * h, -1, 1);
        var dX = new float[B * 3 * h]; var dHh = new float[B * 3 * h]; var dhPrev = new float[B * h];
        int[] lengths = [5, 1, 5];                     // row 1 is past its length at t = 2
        GruKernels.BackwardResetAfter(B, h, gates, hh, hPrev, dh, dX, dHh, dhPrev, t, lengths);
        for (int b = 0; b < B; b++)
            for (int j = 0; j < h; j++)
            {
                int g = b * 3 * h;
                string at = $"H={h} row {b} unit {j}";
                if (b == 1)
                {
                    Assert.True(dX[g + j] == 0 && dX[g + h + j] == 0 && dX[g + 2 * h + j] == 0, at + ": dX of a finished row");
                    Assert.True(dHh[g + j] == 0 && dHh[g + 2 * h + j] == 0, at + ": dHh of a finished row");
                    Assert.Equal(dh[b * h + j], dhPrev[b * h + j]);
                    continue;
                }
                double r = gates[g + j], z = gates[g + h + j], n = gates[g + 2 * h + j], d = dh[b * h + j];
                double dAn = d * (1 - z) * (1 - n * n);
                double dAz = d * (hPrev[b * h + j] - n) * z * (1 - z);
                double dAr = dAn * hh[g + 2 * h + j] * r * (1 - r);
                Near(dAr, dX[g + j], at + " dA_r"); Near(dAz, dX[g + h + j], at + " dA_z"); Near(dAn, dX[g + 2 * h + j], at + " dA_n");
                Near(dAr, dHh[g + j], at + " dHh_r"); Near(dAz, dHh[g + h + j], at + " dHh_z"); Near(dAn * r, dHh[g + 2 * h + j], at + " dHh_n");
                Near(d * z, dhPrev[b * h + j], at + " dh₋");
            }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Reset_after_forward_matches_the_formulas(int h)
    {
        const int B = 3, t = 2;
        var rnd = new Random(h + 100);
        float[] R(int len) => Enumerable.Range(0, len).Select(_ => (float)(rnd.NextDouble() * 4 - 2)).ToArray();
        var pre = R(B * 3 * h);
        var hh = R(B * 3 * h);
        var hPrev = R(B * h);
        var gates = (float[])pre.Clone();
        var hOut = new float[B * h];
        int[] lengths = [5, 1, 5];                     // row 1 keeps h₋
        GruKernels.ForwardResetAfter(B, h, gates, hh, hPrev, hOut, t, lengths);
        static double S(double x) => 1 / (1 + Math.Exp(-x));
        for (int b = 0; b < B; b++)
            for (int j = 0; j < h; j++)
            {
                int g = b * 3 * h;
                string at = $"H={h} row {b} unit {j}";
                if (b == 1) { Assert.Equal(hPrev[b * h + j], hOut[b * h + j]); continue; }
                double r = S(pre[g + j] + hh[g + j]), z = S(pre[g + h + j] + hh[g + h + j]);
                double n = Math.Tanh(pre[g + 2 * h + j] + r * hh[g + 2 * h + j]);
                Near(r, gates[g + j], at + " r"); Near(z, gates[g + h + j], at + " z"); Near(n, gates[g + 2 * h + j], at + " n");
                Near((1 - z) * n + z * hPrev[b * h + j], hOut[b * h + j], at + " h");
            }
    }

    [Fact]
    public void A_buffer_too_short_for_the_unchecked_loops_is_refused_up_front()
    {
        const int B = 2, H = 16;
        var big = new float[B * 3 * H];
        var small = new float[B * H];
        Assert.Throws<ArgumentException>(() => GruKernels.BackwardResetAfter(B, H, big, big, small, small, big, big, new float[B * H - 1], 0, default));
        Assert.Throws<ArgumentException>(() => GruKernels.BackwardResetAfter(B, H, big, big, small, small, new float[B * 3 * H - 1], big, small, 0, default));
        Assert.Throws<ArgumentException>(() => GruKernels.BackwardResetAfter(B, H, big.AsSpan(1), big, small, small, big, big, small, 0, default));
        Assert.Throws<ArgumentException>(() => GruKernels.ForwardResetAfter(B, H, big, big, small, new float[B * H - 1], 0, default));
        Assert.Throws<ArgumentException>(() => GruKernels.ForwardResetAfter(B, H, big, big.AsSpan(1), small, small, 0, default));
    }

    private static void Near(double expected, float actual, string what)
        => Assert.True(Math.Abs(expected - actual) <= 2e-6 * (1 + Math.Abs(expected)), $"{what}: expected {expected}, got {actual}");
}
