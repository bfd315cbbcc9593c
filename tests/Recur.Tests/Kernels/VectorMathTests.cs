using CsCheck;
using Recur.Kernels;

namespace Recur.Tests.Kernels;

/// <summary>Our vector exp, σ and tanh against System.Math in double, over the whole float range.</summary>
public class VectorMathTests
{
    [Fact]
    public void Exp_has_relative_error_below_4e_7_where_it_is_not_clamped()
    {
        Gen.Float[-87f, 88f].Array[1, 70].Sample(x =>
        {
            var y = new float[x.Length];
            VectorMath.Exp(x, y);
            for (int i = 0; i < x.Length; i++)
            {
                double want = Math.Exp(x[i]);
                Assert.True(Math.Abs(y[i] - want) <= 4e-7 * want, $"exp({x[i]}) = {y[i]}, want {want}");
            }
        }, iter: 300);
    }

    [Fact]
    public void Exp_on_a_dense_grid_including_the_reduction_boundaries()
    {
        // k = round(x·log₂e) switches at odd multiples of ln2/2: check both sides of many of them.
        var x = new List<float>();
        for (int k = -120; k <= 120; k++)
        {
            float b = (float)((k + 0.5) * Math.Log(2));
            x.AddRange([MathF.BitDecrement(b), b, MathF.BitIncrement(b)]);
        }
        for (float v = -10f; v <= 10f; v += 0.001f) x.Add(v);
        var xs = x.ToArray();
        var y = new float[xs.Length];
        VectorMath.Exp(xs, y);
        double worst = 0;
        for (int i = 0; i < xs.Length; i++) worst = Math.Max(worst, Math.Abs(y[i] / Math.Exp(xs[i]) - 1));
        Assert.True(worst < 4e-7, $"worst relative error {worst:E2}");
    }

    [Fact]
    public void Exp_clamps_instead_of_overflowing_and_stays_finite()
    {
        float[] x = [-1e30f, -200f, -87.5f, 88.5f, 200f, 1e30f, float.NegativeInfinity, float.PositiveInfinity, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f];
        var y = new float[x.Length];
        VectorMath.Exp(x, y);
        Assert.All(y.AsSpan(0, 8).ToArray(), v => Assert.True(float.IsFinite(v) && v > 0, $"{v}"));
        Assert.Equal(MathF.Exp(88f), y[4], 1e31f);
    }

    [Fact]
    public void A_NaN_stays_NaN_through_exp_sigmoid_and_tanh_in_every_lane_and_in_the_tail()
    {
        // A NaN pre-activation must reach the loss (training stops on it), not be clamped to a finite gate.
        for (int lane = 0; lane < 19; lane++)
        {
            var x = new float[19];
            for (int i = 0; i < x.Length; i++) x[i] = 0.1f * i - 1f;
            x[lane] = float.NaN;
            var e = new float[x.Length]; var s = new float[x.Length]; var t = new float[x.Length];
            VectorMath.Exp(x, e); VectorMath.Sigmoid(x, s); VectorMath.Tanh(x, t);
            for (int i = 0; i < x.Length; i++)
            {
                Assert.Equal(i == lane, float.IsNaN(e[i]));
                Assert.Equal(i == lane, float.IsNaN(s[i]));
                Assert.Equal(i == lane, float.IsNaN(t[i]));
            }
        }
    }

    [Fact]
    public void Sigmoid_and_tanh_match_math_and_saturate_exactly()
    {
        Gen.Float[-100f, 100f].Array[1, 70].Sample(x =>
        {
            var s = new float[x.Length];
            var t = new float[x.Length];
            VectorMath.Sigmoid(x, s);
            VectorMath.Tanh(x, t);
            for (int i = 0; i < x.Length; i++)
            {
                double sw = 1 / (1 + Math.Exp(-x[i])), tw = Math.Tanh(x[i]);
                Assert.True(Math.Abs(s[i] - sw) <= 2e-7 + 4e-7 * sw, $"σ({x[i]}) = {s[i]}, want {sw}");
                Assert.True(Math.Abs(t[i] - tw) <= 3e-7, $"tanh({x[i]}) = {t[i]}, want {tw}");
                Assert.InRange(s[i], 0f, 1f);
                Assert.InRange(t[i], -1f, 1f);
            }
        }, iter: 300);
        float[] big = [-50f, 50f, -30f, 30f, -50f, 50f, -30f, 30f, -50f, 50f, -30f, 30f, -50f, 50f, -30f, 30f];
        var sb = new float[big.Length];
        var tb = new float[big.Length];
        VectorMath.Sigmoid(big, sb);
        VectorMath.Tanh(big, tb);
        for (int i = 0; i < big.Length; i++)
        {
            Assert.Equal(big[i] > 0 ? 1f : -1f, tb[i]);
            if (big[i] > 0) Assert.Equal(1f, sb[i]);
        }
    }

    [Fact]
    public void Zero_maps_exactly_so_a_resting_tanh_rnn_stays_at_rest()
    {
        var z = new float[19];
        var y = new float[19];
        VectorMath.Tanh(z, y);
        Assert.All(y, v => Assert.Equal(0f, v));
        VectorMath.Sigmoid(z, y);
        Assert.All(y, v => Assert.Equal(0.5f, v));
        VectorMath.Exp(z, y);
        Assert.All(y, v => Assert.Equal(1f, v));

        // zero input, zero biases, ρ(W_hh) = 1.5: h stays exactly 0 (a tanh(0) ≠ 0 would grow into saturation)
        var rnn = new Recur.Layers.Recurrent(new Recur.Layers.RecurrentOptions(Recur.Cells.CellType.RnnTanh, 3, 16));
        foreach (var p in rnn.Parameters) if (p.Name.StartsWith("bias", StringComparison.Ordinal)) p.Value.Clear();
        var w = rnn["weight_hh_l0"].Value.Span;
        w.Clear();
        for (int i = 0; i < 16; i++) w[i * 16 + i] = 1.5f;
        var output = rnn.Forward(new Recur.Tensors.Tensor(200, 2, 3)).Output;
        Assert.All(output.Span.ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void The_16_lane_functions_give_the_8_lane_numbers_lane_for_lane()
    {
        if (!System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated) return;   // the gate kernel does not use them then
        Gen.Frequency((4, Gen.Float[-100f, 100f]), (1, Gen.Float)).Array[16].Sample(x =>
        {
            var wide = System.Runtime.Intrinsics.Vector512.Create(x);
            var (e, s, t) = (VectorMath.Exp(wide), VectorMath.Sigmoid(wide), VectorMath.Tanh(wide));
            int n = System.Numerics.Vector<float>.Count;
            for (int at = 0; at < 16; at += n)
            {
                var narrow = new System.Numerics.Vector<float>(x, at);
                var (e8, s8, t8) = (VectorMath.Exp(narrow), VectorMath.Sigmoid(narrow), VectorMath.Tanh(narrow));
                for (int i = 0; i < n; i++)
                {
                    Assert.Equal(BitConverter.SingleToInt32Bits(e8[i]), BitConverter.SingleToInt32Bits(e[at + i]));
                    Assert.Equal(BitConverter.SingleToInt32Bits(s8[i]), BitConverter.SingleToInt32Bits(s[at + i]));
                    Assert.Equal(BitConverter.SingleToInt32Bits(t8[i]), BitConverter.SingleToInt32Bits(t[at + i]));
                }
            }
        }, iter: 300);
    }
}
