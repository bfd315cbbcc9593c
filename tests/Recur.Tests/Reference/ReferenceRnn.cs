using Recur.Cells;
using Recur.Layers;

namespace Recur.Tests.Reference;

/// <summary>
/// A plain float64 implementation of the whole recurrent stack, written straight from the equations
/// of docs/fixtures-format.md: one sample, one step, one gate at a time, loops only. It is the
/// yardstick of the layer tests (forward values, finite-difference gradients), never fast.
/// Parameters are a map state_dict name → row-major values with PyTorch's shapes.
/// </summary>
public static class ReferenceRnn
{
    /// <summary>Forward result: output [T, B, D·Hout], h_n [L·D, B, Hout], c_n [L·D, B, H] (LSTM cells).</summary>
    public sealed record Result(double[] Output, double[] HN, double[]? CN);

    /// <summary>
    /// Called after step <paramref name="t"/> of (layer, direction) has computed h_t and c_t for every
    /// sequence in the batch, before h_t is written to the output and carried to the next step. The
    /// hook may read or change <paramref name="h"/> [B·Hout] (e.g. to perturb h_t for a finite
    /// difference). <paramref name="c"/> [B·H] (null without a cell state), <paramref name="gates"/>
    /// [B·G·H] activated gates (LSTM i, f, g, o; GRU r, z, n; RNN the new h). Sequences past their
    /// length keep their previous values in all three.
    /// </summary>
    public delegate void StepHook(int layer, int direction, int t, double[] h, double[]? c, double[] gates);

    public static Result Forward(
        RecurrentOptions o,
        IReadOnlyDictionary<string, double[]> p,
        double[] x, int T, int B,
        double[]? h0 = null, double[]? c0 = null, int[]? lengths = null,
        StepHook? hook = null)
    {
        int H = o.HiddenSize, Hout = o.StateSize, D = o.Directions, L = o.NumLayers, G = o.Cell.Gates();
        bool lstm = o.Cell.IsLstm();
        if (x.Length != T * B * o.InputSize) throw new ArgumentException("reference: x has the wrong length");
        lengths ??= Enumerable.Repeat(T, B).ToArray();

        var hn = new double[L * D * B * Hout];
        var cn = lstm ? new double[L * D * B * H] : null;
        double[] input = x;
        int inputWidth = o.InputSize;

        for (int layer = 0; layer < L; layer++)
        {
            var output = new double[T * B * D * Hout];
            for (int d = 0; d < D; d++)
            {
                string sfx = Recurrent.Suffix(layer, d);
                int s = layer * D + d;
                var h = new double[B * Hout];
                var c = new double[B * H];
                if (h0 != null) Array.Copy(h0, s * B * Hout, h, 0, B * Hout);
                if (lstm && c0 != null) Array.Copy(c0, s * B * H, c, 0, B * H);
                var gates = new double[B * G * H];

                for (int step = 0; step < T; step++)
                {
                    int t = d == 0 ? step : T - 1 - step;
                    for (int b = 0; b < B; b++)
                    {
                        if (t >= lengths[b]) continue; // past its length: keep the state, output stays 0
                        var xb = new double[inputWidth];
                        Array.Copy(input, (t * B + b) * inputWidth, xb, 0, inputWidth);
                        var hPrev = new double[Hout];
                        Array.Copy(h, b * Hout, hPrev, 0, Hout);
                        var cPrev = new double[H];
                        Array.Copy(c, b * H, cPrev, 0, H);

                        CellStep(o, p, sfx, xb, hPrev, cPrev, out var hNew, out var cNew, out var g);

                        Array.Copy(hNew, 0, h, b * Hout, Hout);
                        Array.Copy(cNew, 0, c, b * H, H);
                        Array.Copy(g, 0, gates, b * G * H, G * H);
                    }

                    hook?.Invoke(layer, d, t, h, lstm ? c : null, gates);

                    for (int b = 0; b < B; b++)
                    {
                        if (t >= lengths[b]) continue;
                        for (int j = 0; j < Hout; j++)
                            output[(t * B + b) * D * Hout + d * Hout + j] = h[b * Hout + j];
                    }
                }

                Array.Copy(h, 0, hn, s * B * Hout, B * Hout);
                if (lstm) Array.Copy(c, 0, cn!, s * B * H, B * H);
            }
            input = output;
            inputWidth = D * Hout;
        }
        return new Result(input, hn, cn);
    }

    /// <summary>One step of one sequence: x [in], hPrev [Hout], cPrev [H] → hNew [Hout], cNew [H], gates [G·H].</summary>
    public static void CellStep(
        RecurrentOptions o, IReadOnlyDictionary<string, double[]> p, string sfx,
        double[] x, double[] hPrev, double[] cPrev,
        out double[] hNew, out double[] cNew, out double[] gates)
    {
        int H = o.HiddenSize, Hout = o.StateSize, G = o.Cell.Gates(), I = x.Length;
        var wih = p["weight_ih" + sfx];
        var whh = p["weight_hh" + sfx];
        var bih = p["bias_ih" + sfx];
        var bhh = p["bias_hh" + sfx];
        if (wih.Length != G * H * I || whh.Length != G * H * Hout || bih.Length != G * H || bhh.Length != G * H)
            throw new ArgumentException($"reference: parameter sizes of layer{sfx} do not match the options");

        // gi = x W_ih^T + b_ih, gh = h W_hh^T + b_hh, each [G·H]
        var gi = new double[G * H];
        var gh = new double[G * H];
        for (int j = 0; j < G * H; j++)
        {
            double si = bih[j];
            for (int k = 0; k < I; k++) si += wih[j * I + k] * x[k];
            gi[j] = si;
            double sh = bhh[j];
            for (int k = 0; k < Hout; k++) sh += whh[j * Hout + k] * hPrev[k];
            gh[j] = sh;
        }

        gates = new double[G * H];
        cNew = new double[H];
        switch (o.Cell)
        {
            case CellType.Lstm:
            case CellType.LstmPeephole:
            case CellType.LstmCoupled:
                {
                    double[]? pi = null, pf = null, po = null;
                    if (o.Cell == CellType.LstmPeephole)
                    {
                        pi = p["peephole_i" + sfx];
                        pf = p["peephole_f" + sfx];
                        po = p["peephole_o" + sfx];
                    }
                    var m = new double[H];
                    for (int u = 0; u < H; u++)
                    {
                        double ai = gi[u] + gh[u];
                        double af = gi[H + u] + gh[H + u];
                        double ag = gi[2 * H + u] + gh[2 * H + u];
                        double ao = gi[3 * H + u] + gh[3 * H + u];
                        double i, f, g, og, c;
                        switch (o.Cell)
                        {
                            case CellType.Lstm:
                                i = Sigmoid(ai); f = Sigmoid(af); g = Math.Tanh(ag);
                                c = f * cPrev[u] + i * g;
                                og = Sigmoid(ao);
                                break;
                            case CellType.LstmPeephole:
                                i = Sigmoid(ai + pi![u] * cPrev[u]);
                                f = Sigmoid(af + pf![u] * cPrev[u]);
                                g = Math.Tanh(ag);
                                c = f * cPrev[u] + i * g;
                                og = Sigmoid(ao + po![u] * c); // the output gate sees the new cell state
                                break;
                            default: // coupled: i = 1 − f, the i rows are unused
                                f = Sigmoid(af); i = 1 - f; g = Math.Tanh(ag);
                                c = f * cPrev[u] + i * g;
                                og = Sigmoid(ao);
                                break;
                        }
                        cNew[u] = c;
                        m[u] = og * Math.Tanh(c);
                        gates[u] = i;
                        gates[H + u] = f;
                        gates[2 * H + u] = g;
                        gates[3 * H + u] = og;
                    }
                    if (o.ProjSize > 0)
                    {
                        var whr = p["weight_hr" + sfx]; // [P, H]
                        hNew = new double[o.ProjSize];
                        for (int q = 0; q < o.ProjSize; q++)
                        {
                            double s = 0;
                            for (int u = 0; u < H; u++) s += whr[q * H + u] * m[u];
                            hNew[q] = s;
                        }
                    }
                    else
                    {
                        hNew = m;
                    }
                    break;
                }
            case CellType.Gru:
            case CellType.GruResetBefore:
                {
                    var r = new double[H];
                    var z = new double[H];
                    for (int u = 0; u < H; u++)
                    {
                        r[u] = Sigmoid(gi[u] + gh[u]);
                        z[u] = Sigmoid(gi[H + u] + gh[H + u]);
                    }
                    hNew = new double[H];
                    for (int u = 0; u < H; u++)
                    {
                        double n;
                        if (o.Cell == CellType.Gru)
                        {
                            // n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
                            n = Math.Tanh(gi[2 * H + u] + r[u] * gh[2 * H + u]);
                        }
                        else
                        {
                            // n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn)
                            double s = bhh[2 * H + u];
                            for (int k = 0; k < H; k++) s += whh[(2 * H + u) * Hout + k] * (r[k] * hPrev[k]);
                            n = Math.Tanh(gi[2 * H + u] + s);
                        }
                        hNew[u] = (1 - z[u]) * n + z[u] * hPrev[u];
                        gates[u] = r[u];
                        gates[H + u] = z[u];
                        gates[2 * H + u] = n;
                    }
                    break;
                }
            case CellType.RnnTanh:
            case CellType.RnnRelu:
                {
                    hNew = new double[H];
                    for (int u = 0; u < H; u++)
                    {
                        double a = gi[u] + gh[u];
                        hNew[u] = o.Cell == CellType.RnnTanh ? Math.Tanh(a) : Math.Max(0.0, a);
                        gates[u] = hNew[u];
                    }
                    break;
                }
            default:
                throw new ArgumentException($"reference: unknown cell type {o.Cell}");
        }
    }

    public static double Sigmoid(double v) => 1.0 / (1.0 + Math.Exp(-v));
}
