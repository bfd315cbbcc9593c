using Recur.Cells;
using Recur.Layers;
using Recur.Tensors;
using Recur.Tests.Reference;
using Recur.Training;

namespace Recur.Tests.Layers;

/// <summary>
/// Recurrent (variational) dropout on h₋. For one sequence b, feeding m_b ⊙ h₋ to the recurrent product is
/// the same as running without dropout with W_hh' = W_hh · diag(m_b) (columns scaled), and then
/// ∂L/∂W_hh = ∂L/∂W_hh' · diag(m_b). So a batch with dropout must equal, row by row, dropout-free runs of
/// column-scaled copies of the layer: outputs, states, ∂x, ∂h0, ∂c0 and the summed parameter gradients.
/// </summary>
public class RecurrentDropoutTests
{
    private const float P = 0.4f;
    private const ulong MaskSeed = 7;
    private const int T = 6, B = 3, I = 3, H = 5;
    private const double Tol = 2e-5;

    public static TheoryData<CellType, int, bool, int> Cases()
    {
        var d = new TheoryData<CellType, int, bool, int>();
        foreach (var cell in new[] { CellType.RnnTanh, CellType.RnnRelu, CellType.Lstm, CellType.LstmPeephole, CellType.LstmCoupled, CellType.Gru })
        {
            d.Add(cell, 1, false, 0);
            d.Add(cell, 2, true, 0);
        }
        d.Add(CellType.Lstm, 2, false, 3);
        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Batch_with_dropout_equals_column_scaled_layers_row_by_row(CellType cell, int layers, bool bidirectional, int proj)
    {
        var o = new RecurrentOptions(cell, I, H, layers, bidirectional, proj);
        int LD = layers * o.Directions, Ho = o.StateSize, seed = 11 + (int)cell;
        var rnd = new Random(3);
        var x = Random(rnd, T, B, I);
        var h0 = Random(rnd, LD, B, Ho);
        var c0 = cell.IsLstm() ? Random(rnd, LD, B, H) : null;
        var gOut = Random(rnd, T, B, o.OutputSize);
        var gHN = Random(rnd, LD, B, Ho);

        var layer = new Recurrent(o, seed) { RecurrentDropout = new RecurrentDropout(P, new Rng(MaskSeed)) };
        var res = layer.Forward(x, h0, c0);
        var output = res.Output.Clone();
        var hN = res.HN.Clone();
        var grads = layer.Backward(gOut, gHN);

        // The masks, drawn as documented: layer by layer, direction by direction, [B, Hout] each.
        var twin = new RecurrentDropout(P, new Rng(MaskSeed));
        var masks = new float[LD][];
        for (int s = 0; s < LD; s++) twin.Draw(masks[s] = new float[B * Ho]);
        Assert.All(masks.SelectMany(m => m), v => Assert.True(v == 0f || Math.Abs(v - 1 / (1 - P)) < 1e-6));
        Assert.Contains(masks.SelectMany(m => m), v => v == 0f);

        var wantGrads = layer.Parameters.ToDictionary(p => p.Name, p => new float[p.Grad.Length]);
        for (int b = 0; b < B; b++)
        {
            var single = new Recurrent(o, seed);
            for (int s = 0; s < LD; s++)
                ScaleColumns(single["weight_hh" + Recurrent.Suffix(s / o.Directions, s % o.Directions)].Value, masks[s].AsSpan(b * Ho, Ho));
            var r = single.Forward(Row(x, b), Row(h0, b), c0 is null ? null : Row(c0, b));
            Compare.Close($"{cell} output row {b}", Row(output, b).Span, r.Output.Span, Tol);
            Compare.Close($"{cell} h_n row {b}", Row(hN, b).Span, r.HN.Span, Tol);
            var g = single.Backward(Row(gOut, b), Row(gHN, b));
            Compare.Close($"{cell} dx row {b}", Row(grads.X, b).Span, g.X.Span, Tol);
            Compare.Close($"{cell} dh0 row {b}", Row(grads.H0, b).Span, g.H0.Span, Tol);
            if (c0 is not null) Compare.Close($"{cell} dc0 row {b}", Row(grads.C0!, b).Span, g.C0!.Span, Tol);

            foreach (var p in single.Parameters)
            {
                var grad = p.Grad.Span.ToArray();
                if (p.Name.StartsWith("weight_hh", StringComparison.Ordinal))
                {
                    int s = SlotOf(p.Name, o);
                    ScaleColumns(new Tensor(grad, p.Shape), masks[s].AsSpan(b * Ho, Ho));
                }
                var acc = wantGrads[p.Name];
                for (int i = 0; i < acc.Length; i++) acc[i] += grad[i];
            }
        }
        foreach (var p in layer.Parameters)
            Compare.Close($"{cell} grad {p.Name}", wantGrads[p.Name], p.Grad.Span, Tol);
    }

    [Fact]
    public void Without_dropout_the_layer_is_unchanged_and_masks_are_redrawn_per_forward()
    {
        var o = new RecurrentOptions(CellType.Lstm, I, H);
        var rnd = new Random(5);
        var x = Random(rnd, T, B, I);
        var plain = new Recurrent(o, 1).Forward(x).Output.Clone();

        var layer = new Recurrent(o, 1) { RecurrentDropout = new RecurrentDropout(0.5f, new Rng(1)) };
        var first = layer.Forward(x).Output.Clone();
        var second = layer.Forward(x).Output.Clone();
        Assert.NotEqual(first.Span.ToArray(), second.Span.ToArray());
        Assert.NotEqual(plain.Span.ToArray(), first.Span.ToArray());

        layer.RecurrentDropout = null;
        Assert.Equal(plain.Span.ToArray(), layer.Forward(x).Output.Span.ToArray());
    }

    [Fact]
    public void Mask_keeps_about_one_minus_p_and_scales_by_its_inverse()
    {
        var d = new RecurrentDropout(0.25f, new Rng(9));
        var m = new float[20_000];
        d.Draw(m);
        double kept = m.Count(v => v != 0) / (double)m.Length;
        Assert.InRange(kept, 0.74, 0.76);
        Assert.All(m, v => Assert.True(v == 0f || v == 1f / 0.75f));
    }

    [Fact]
    public void Bad_probability_and_gru_reset_before_are_refused_clearly()
    {
        Assert.Throws<ArgumentException>(() => new RecurrentDropout(1f, new Rng(1)));
        Assert.Throws<ArgumentException>(() => new RecurrentDropout(-0.1f, new Rng(1)));
        var layer = new Recurrent(new RecurrentOptions(CellType.GruResetBefore, I, H)) { RecurrentDropout = new RecurrentDropout(0.2f, new Rng(1)) };
        var e = Assert.Throws<ArgumentException>(() => layer.Forward(new Tensor(T, B, I)));
        Assert.Contains("gru-reset-before", e.Message);
    }

    private static int SlotOf(string name, RecurrentOptions o)
    {
        for (int l = 0; l < o.NumLayers; l++)
            for (int d = 0; d < o.Directions; d++)
                if (name == "weight_hh" + Recurrent.Suffix(l, d)) return l * o.Directions + d;
        throw new ArgumentException(name);
    }

    /// <summary>W[r, j] *= m[j] for W <c>[rows, Hout]</c>.</summary>
    private static void ScaleColumns(Tensor w, ReadOnlySpan<float> m)
    {
        var s = w.Span;
        int cols = m.Length;
        for (int i = 0; i < s.Length; i++) s[i] *= m[i % cols];
    }

    /// <summary>Row b of a <c>[A, B, F]</c> tensor as <c>[A, 1, F]</c>.</summary>
    private static Tensor Row(Tensor x, int b)
    {
        int a = x.Dim(0), n = x.Dim(1), f = x.Dim(2);
        var y = new Tensor(a, 1, f);
        for (int i = 0; i < a; i++) x.Span.Slice((i * n + b) * f, f).CopyTo(y.Span.Slice(i * f, f));
        return y;
    }

    private static Tensor Random(Random rnd, params int[] shape)
    {
        var t = new Tensor(shape);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = (float)(rnd.NextDouble() * 2 - 1);
        return t;
    }
}
