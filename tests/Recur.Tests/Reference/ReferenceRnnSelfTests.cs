using Recur.Cells;
using Recur.Layers;

namespace Recur.Tests.Reference;

/// <summary>
/// Checks of the float64 reference on its own (no layer involved): hand-computed single steps,
/// and identities between cell variants, directions and variable lengths.
/// </summary>
public class ReferenceRnnSelfTests
{
    private static double S(double v) => 1 / (1 + Math.Exp(-v));

    private static Dictionary<string, double[]> Params(RecurrentOptions o, int seed)
    {
        var layer = new Recurrent(o, seed);
        var d = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (var p in layer.Parameters) d[p.Name] = RefCase.ToDouble(p.Value.Data);
        return d;
    }

    private static double[] Rand(Random rng, int n) => RefCase.ToDouble(RefCase.Normal(rng, n));

    [Fact]
    public void Lstm_one_step_by_hand()
    {
        // I = 1, H = 1: rows i, f, g, o
        var o = new RecurrentOptions(CellType.Lstm, 1, 1);
        var p = new Dictionary<string, double[]>
        {
            ["weight_ih_l0"] = [0.1, 0.2, 0.3, 0.4],
            ["weight_hh_l0"] = [-0.5, 0.6, -0.7, 0.8],
            ["bias_ih_l0"] = [0.01, 0.02, 0.03, 0.04],
            ["bias_hh_l0"] = [0.05, -0.06, 0.07, -0.08],
        };
        double x = 1.5, h = -0.3, c = 0.7;
        var r = ReferenceRnn.Forward(o, p, [x], 1, 1, [h], [c]);
        double i = S(0.1 * x + 0.01 - 0.5 * h + 0.05);
        double f = S(0.2 * x + 0.02 + 0.6 * h - 0.06);
        double g = Math.Tanh(0.3 * x + 0.03 - 0.7 * h + 0.07);
        double og = S(0.4 * x + 0.04 + 0.8 * h - 0.08);
        double cn = f * c + i * g;
        double hn = og * Math.Tanh(cn);
        Assert.Equal(hn, r.Output[0], 14);
        Assert.Equal(hn, r.HN[0], 14);
        Assert.Equal(cn, r.CN![0], 14);
    }

    [Fact]
    public void Peephole_and_projection_one_step_by_hand()
    {
        // I = 1, H = 2, P = 1 for the projection; peepholes on the other
        var rng = new Random(5);
        var op = new RecurrentOptions(CellType.LstmPeephole, 1, 2);
        var p = new Dictionary<string, double[]>
        {
            ["weight_ih_l0"] = Rand(rng, 8),
            ["weight_hh_l0"] = Rand(rng, 16),
            ["bias_ih_l0"] = Rand(rng, 8),
            ["bias_hh_l0"] = Rand(rng, 8),
            ["peephole_i_l0"] = [0.3, -0.2],
            ["peephole_f_l0"] = [-0.4, 0.5],
            ["peephole_o_l0"] = [0.6, 0.7],
        };
        double x = 0.8;
        double[] h = [0.2, -0.9], c = [1.1, -0.4];
        double A(int row) => p["weight_ih_l0"][row] * x + p["bias_ih_l0"][row] + p["bias_hh_l0"][row]
                             + p["weight_hh_l0"][row * 2] * h[0] + p["weight_hh_l0"][row * 2 + 1] * h[1];
        var r = ReferenceRnn.Forward(op, p, [x], 1, 1, h, c);
        for (int u = 0; u < 2; u++)
        {
            double i = S(A(u) + p["peephole_i_l0"][u] * c[u]);
            double f = S(A(2 + u) + p["peephole_f_l0"][u] * c[u]);
            double g = Math.Tanh(A(4 + u));
            double cn = f * c[u] + i * g;
            double og = S(A(6 + u) + p["peephole_o_l0"][u] * cn);
            Assert.Equal(cn, r.CN![u], 14);
            Assert.Equal(og * Math.Tanh(cn), r.HN[u], 14);
        }

        var oj = new RecurrentOptions(CellType.Lstm, 1, 2, ProjSize: 1);
        var pj = new Dictionary<string, double[]>
        {
            ["weight_ih_l0"] = Rand(rng, 8),
            ["weight_hh_l0"] = Rand(rng, 8), // [4H, P]
            ["bias_ih_l0"] = Rand(rng, 8),
            ["bias_hh_l0"] = Rand(rng, 8),
            ["weight_hr_l0"] = [0.9, -1.3],
        };
        double hp = 0.35;
        double Aj(int row) => pj["weight_ih_l0"][row] * x + pj["bias_ih_l0"][row] + pj["bias_hh_l0"][row] + pj["weight_hh_l0"][row] * hp;
        var rj = ReferenceRnn.Forward(oj, pj, [x], 1, 1, [hp], c);
        double proj = 0;
        for (int u = 0; u < 2; u++)
        {
            double cn = S(Aj(2 + u)) * c[u] + S(Aj(u)) * Math.Tanh(Aj(4 + u));
            Assert.Equal(cn, rj.CN![u], 14);
            proj += pj["weight_hr_l0"][u] * S(Aj(6 + u)) * Math.Tanh(cn);
        }
        Assert.Single(rj.HN);
        Assert.Equal(proj, rj.HN[0], 14);
        Assert.Equal(proj, rj.Output[0], 14);
    }

    [Theory]
    [InlineData(CellType.Gru)]
    [InlineData(CellType.GruResetBefore)]
    public void Gru_one_step_by_hand(CellType cell)
    {
        // I = 1, H = 2: rows r, z, n
        var rng = new Random(11);
        var o = new RecurrentOptions(cell, 1, 2);
        var p = new Dictionary<string, double[]>
        {
            ["weight_ih_l0"] = Rand(rng, 6),
            ["weight_hh_l0"] = Rand(rng, 12),
            ["bias_ih_l0"] = Rand(rng, 6),
            ["bias_hh_l0"] = Rand(rng, 6),
        };
        double x = -0.6;
        double[] h = [0.5, -0.25];
        double Gi(int row) => p["weight_ih_l0"][row] * x + p["bias_ih_l0"][row];
        double Gh(int row, double[] v) => p["weight_hh_l0"][row * 2] * v[0] + p["weight_hh_l0"][row * 2 + 1] * v[1] + p["bias_hh_l0"][row];
        double[] rg = [S(Gi(0) + Gh(0, h)), S(Gi(1) + Gh(1, h))];
        double[] rh = [rg[0] * h[0], rg[1] * h[1]];
        var res = ReferenceRnn.Forward(o, p, [x], 1, 1, h);
        for (int u = 0; u < 2; u++)
        {
            double z = S(Gi(2 + u) + Gh(2 + u, h));
            double n = cell == CellType.Gru
                ? Math.Tanh(Gi(4 + u) + rg[u] * Gh(4 + u, h))
                : Math.Tanh(Gi(4 + u) + Gh(4 + u, rh));
            Assert.Equal((1 - z) * n + z * h[u], res.HN[u], 14);
        }
        Assert.Null(res.CN);
    }

    [Theory]
    [InlineData(CellType.RnnTanh)]
    [InlineData(CellType.RnnRelu)]
    public void Rnn_two_steps_by_hand(CellType cell)
    {
        var o = new RecurrentOptions(cell, 1, 1);
        var p = new Dictionary<string, double[]>
        {
            ["weight_ih_l0"] = [0.7], ["weight_hh_l0"] = [-1.2], ["bias_ih_l0"] = [0.1], ["bias_hh_l0"] = [0.2],
        };
        Func<double, double> act = cell == CellType.RnnTanh ? Math.Tanh : v => Math.Max(0, v);
        double h1 = act(0.7 * 1.0 + 0.1 - 1.2 * 0.4 + 0.2);
        double h2 = act(0.7 * -2.0 + 0.1 - 1.2 * h1 + 0.2);
        var r = ReferenceRnn.Forward(o, p, [1.0, -2.0], 2, 1, [0.4]);
        Assert.Equal(h1, r.Output[0], 14);
        Assert.Equal(h2, r.Output[1], 14);
        Assert.Equal(h2, r.HN[0], 14);
    }

    [Fact]
    public void Coupled_equals_lstm_with_input_rows_minus_forget_rows()
    {
        // σ(−a) = 1 − σ(a): an LSTM whose i rows are the negated f rows is the coupled LSTM
        var oc = new RecurrentOptions(CellType.LstmCoupled, 3, 4, NumLayers: 2, Bidirectional: true);
        var ol = oc with { Cell = CellType.Lstm };
        var p = Params(oc, 3);
        var pl = p.ToDictionary(kv => kv.Key, kv => (double[])kv.Value.Clone());
        foreach (var v in pl.Values)
        {
            int cols = v.Length / 16;
            for (int k = 0; k < 4 * cols; k++) v[k] = -v[4 * cols + k];
        }
        var rng = new Random(1);
        var x = Rand(rng, 5 * 2 * 3);
        var h0 = Rand(rng, 4 * 2 * 4);
        var c0 = Rand(rng, 4 * 2 * 4);
        var a = ReferenceRnn.Forward(oc, p, x, 5, 2, h0, c0);
        var b = ReferenceRnn.Forward(ol, pl, x, 5, 2, h0, c0);
        for (int i = 0; i < a.Output.Length; i++) Assert.Equal(b.Output[i], a.Output[i], 12);
        for (int i = 0; i < a.CN!.Length; i++) Assert.Equal(b.CN![i], a.CN[i], 12);

        // and the coupled cell ignores its i rows
        foreach (var v in p.Values)
        {
            int cols = v.Length / 16;
            for (int k = 0; k < 4 * cols; k++) v[k] = 123.0;
        }
        var a2 = ReferenceRnn.Forward(oc, p, x, 5, 2, h0, c0);
        Assert.Equal(a.Output, a2.Output);
    }

    [Fact]
    public void Peephole_with_zero_peepholes_equals_lstm()
    {
        var op = new RecurrentOptions(CellType.LstmPeephole, 3, 4, NumLayers: 2);
        var p = Params(op, 9);
        foreach (var (name, v) in p)
            if (name.StartsWith("peephole", StringComparison.Ordinal)) Array.Clear(v);
        var rng = new Random(2);
        var x = Rand(rng, 4 * 2 * 3);
        var h0 = Rand(rng, 2 * 2 * 4);
        var c0 = Rand(rng, 2 * 2 * 4);
        var a = ReferenceRnn.Forward(op, p, x, 4, 2, h0, c0);
        var b = ReferenceRnn.Forward(op with { Cell = CellType.Lstm }, p, x, 4, 2, h0, c0);
        Assert.Equal(b.Output, a.Output);
        Assert.Equal(b.CN, a.CN);
    }

    [Theory]
    [InlineData(CellType.Lstm)]
    [InlineData(CellType.Gru)]
    [InlineData(CellType.RnnTanh)]
    public void Reverse_direction_equals_forward_on_reversed_time(CellType cell)
    {
        int t = 5, b = 2;
        var ob = new RecurrentOptions(cell, 3, 4, Bidirectional: true);
        var of = ob with { Bidirectional = false };
        var p = Params(ob, 4);
        var rev = p.Where(kv => kv.Key.EndsWith("_reverse", StringComparison.Ordinal))
                   .ToDictionary(kv => kv.Key[..^"_reverse".Length], kv => kv.Value);
        var rng = new Random(3);
        var x = Rand(rng, t * b * 3);
        var h0 = Rand(rng, 2 * b * 4);
        var c0 = Rand(rng, 2 * b * 4);
        var xr = new double[x.Length];
        for (int s = 0; s < t; s++) Array.Copy(x, s * b * 3, xr, (t - 1 - s) * b * 3, b * 3);
        var bi = ReferenceRnn.Forward(ob, p, x, t, b, h0, c0);
        var fw = ReferenceRnn.Forward(of, rev, xr, t, b, h0[(b * 4)..], c0[(b * 4)..]);
        for (int s = 0; s < t; s++)
            for (int k = 0; k < b; k++)
                for (int j = 0; j < 4; j++)
                    Assert.Equal(fw.Output[((t - 1 - s) * b + k) * 4 + j], bi.Output[(s * b + k) * 8 + 4 + j], 14);
        for (int i = 0; i < b * 4; i++) Assert.Equal(fw.HN[i], bi.HN[b * 4 + i], 14);
    }

    [Theory]
    [InlineData(CellType.Lstm, 0)]
    [InlineData(CellType.Lstm, 3)]
    [InlineData(CellType.GruResetBefore, 0)]
    [InlineData(CellType.RnnRelu, 0)]
    public void Variable_lengths_equal_each_sequence_run_alone(CellType cell, int proj)
    {
        int t = 6, bsz = 3, hout = proj > 0 ? proj : 4;
        int[] lengths = [4, 6, 1];
        var o = new RecurrentOptions(cell, 3, 4, NumLayers: 2, Bidirectional: true, ProjSize: proj);
        var p = Params(o, 6);
        var rng = new Random(8);
        var x = Rand(rng, t * bsz * 3);
        var h0 = Rand(rng, 4 * bsz * hout);
        var c0 = Rand(rng, 4 * bsz * 4);
        var all = ReferenceRnn.Forward(o, p, x, t, bsz, h0, c0, lengths);
        int w = o.OutputSize;
        for (int b = 0; b < bsz; b++)
        {
            int len = lengths[b];
            var xb = new double[len * 3];
            for (int s = 0; s < len; s++) Array.Copy(x, (s * bsz + b) * 3, xb, s * 3, 3);
            var h0b = new double[4 * hout];
            var c0b = new double[4 * 4];
            for (int s = 0; s < 4; s++)
            {
                Array.Copy(h0, (s * bsz + b) * hout, h0b, s * hout, hout);
                Array.Copy(c0, (s * bsz + b) * 4, c0b, s * 4, 4);
            }
            var one = ReferenceRnn.Forward(o, p, xb, len, 1, h0b, cell.IsLstm() ? c0b : null);
            for (int s = 0; s < t; s++)
                for (int j = 0; j < w; j++)
                    Assert.Equal(s < len ? one.Output[s * w + j] : 0.0, all.Output[(s * bsz + b) * w + j], 14);
            for (int s = 0; s < 4; s++)
                for (int j = 0; j < hout; j++)
                    Assert.Equal(one.HN[s * hout + j], all.HN[(s * bsz + b) * hout + j], 14);
            if (cell.IsLstm())
                for (int s = 0; s < 4; s++)
                    for (int j = 0; j < 4; j++)
                        Assert.Equal(one.CN![s * 4 + j], all.CN![(s * bsz + b) * 4 + j], 14);
        }
    }
}
