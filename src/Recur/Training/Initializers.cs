using Recur.Cells;
using Recur.Layers;

namespace Recur.Training;

/// <summary>How a recurrent layer's weights start (the lecture's remedies for vanishing gradients).</summary>
public enum InitScheme
{
    /// <summary>PyTorch's: every weight and bias ~ U(−1/√H, 1/√H).</summary>
    Default,
    /// <summary>Glorot &amp; Bengio 2010 uniform per gate block for W_ih and W_hh; biases 0.</summary>
    Xavier,
    /// <summary>W_ih Xavier, W_hh orthogonal per gate block (Saxe et al. 2014); biases 0.</summary>
    Orthogonal,
    /// <summary>IRNN (Le, Jaitly &amp; Hinton 2015): W_hh = I, W_ih Xavier, biases 0. RNN cells only.</summary>
    Identity,
    /// <summary>Chrono (Tallec &amp; Ollivier 2018): orthogonal W_hh, b_f ~ log U(1, T_max − 1), b_i = −b_f. LSTM cells only.</summary>
    Chrono,
}

/// <summary>Weight initialisers, and their application to a <see cref="Recurrent"/> stack.</summary>
public static class Initializers
{
    public static InitScheme ParseScheme(string name) => name.Trim().ToLowerInvariant() switch
    {
        "default" or "pytorch" => InitScheme.Default,
        "xavier" or "glorot" => InitScheme.Xavier,
        "orthogonal" => InitScheme.Orthogonal,
        "identity" or "irnn" => InitScheme.Identity,
        "chrono" => InitScheme.Chrono,
        _ => throw new ArgumentException($"unknown initialisation '{name}' (known: default, xavier, orthogonal, identity, chrono)"),
    };

    public static string Name(this InitScheme s) => s.ToString().ToLowerInvariant();

    /// <summary>Glorot uniform: U(−a, a), a = √(6/(fanIn + fanOut)), for a <c>[fanOut, fanIn]</c> block.</summary>
    public static void Xavier(Span<float> w, int fanOut, int fanIn, Rng rng)
    {
        double a = Math.Sqrt(6.0 / (fanIn + fanOut));
        for (int i = 0; i < fanOut * fanIn; i++) w[i] = (float)rng.Uniform(-a, a);
    }

    /// <summary>A <c>[rows, cols]</c> block with orthonormal columns (rows ≥ cols) or rows (rows &lt; cols):
    /// Gram–Schmidt (twice, float64) on a Gaussian matrix, times <paramref name="gain"/>.</summary>
    public static void Orthogonal(Span<float> w, int rows, int cols, Rng rng, double gain = 1)
    {
        int n = Math.Max(rows, cols), k = Math.Min(rows, cols);
        var q = new double[k][];   // k orthonormal vectors of length n
        for (int j = 0; j < k; j++)
        {
            var v = new double[n];
            for (int i = 0; i < n; i++) v[i] = rng.NextGaussian();
            for (int pass = 0; pass < 2; pass++)
                for (int p = 0; p < j; p++)
                {
                    double d = 0;
                    for (int i = 0; i < n; i++) d += v[i] * q[p][i];
                    for (int i = 0; i < n; i++) v[i] -= d * q[p][i];
                }
            double norm = Math.Sqrt(v.Sum(x => x * x));
            for (int i = 0; i < n; i++) v[i] /= norm;
            q[j] = v;
        }
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                w[r * cols + c] = (float)(gain * (rows >= cols ? q[c][r] : q[r][c]));
    }

    /// <summary>A <c>[n, m]</c> block = scale·I (ones on the diagonal).</summary>
    public static void Identity(Span<float> w, int n, int m, float scale = 1f)
    {
        w[..(n * m)].Clear();
        for (int i = 0; i < Math.Min(n, m); i++) w[i * m + i] = scale;
    }

    /// <summary>
    /// Initialises every layer of <paramref name="rnn"/> by <paramref name="scheme"/>. For LSTM cells (except chrono)
    /// <paramref name="forgetBias"/> (Jozefowicz et al. 2015; null leaves the scheme's biases) goes on the f rows
    /// of bias_ih and bias_hh's f rows become 0, so b_f = forgetBias. <paramref name="chronoMaxT"/> is T_max of chrono.
    /// Peepholes start at 0 except under <see cref="InitScheme.Default"/>.
    /// </summary>
    public static void Initialize(Recurrent rnn, InitScheme scheme, Rng rng, float? forgetBias = 1f, int chronoMaxT = 0)
    {
        var o = rnn.Options;
        int G = o.Cell.Gates(), H = o.HiddenSize, Ho = o.StateSize;
        if (scheme == InitScheme.Identity && o.Cell is not (CellType.RnnTanh or CellType.RnnRelu))
            throw new ArgumentException($"identity initialisation (IRNN) is for rnn and rnn-relu cells, not {o.Cell.CliName()}");
        if (scheme == InitScheme.Chrono && !o.Cell.IsLstm())
            throw new ArgumentException($"chrono initialisation is for LSTM cells, not {o.Cell.CliName()}");
        if (scheme == InitScheme.Chrono && chronoMaxT < 3)
            throw new ArgumentException($"chrono initialisation needs T_max ≥ 3 (the longest dependency expected), got {chronoMaxT}");

        for (int l = 0; l < o.NumLayers; l++)
            for (int d = 0; d < o.Directions; d++)
            {
                string s = Recurrent.Suffix(l, d);
                var wIh = rnn["weight_ih" + s];
                var wHh = rnn["weight_hh" + s];
                var bIh = rnn["bias_ih" + s].Value.Span;
                var bHh = rnn["bias_hh" + s].Value.Span;
                int I = wIh.Shape[1];
                if (scheme != InitScheme.Default)
                {
                    for (int g = 0; g < G; g++)
                    {
                        Xavier(wIh.Value.Span.Slice(g * H * I, H * I), H, I, rng);
                        var block = wHh.Value.Span.Slice(g * H * Ho, H * Ho);
                        switch (scheme)
                        {
                            case InitScheme.Xavier: Xavier(block, H, Ho, rng); break;
                            case InitScheme.Identity: Identity(block, H, Ho); break;
                            default: Orthogonal(block, H, Ho, rng); break;
                        }
                    }
                    bIh.Clear();
                    bHh.Clear();
                    if (rnn.TryGetParameter("weight_hr" + s, out var wHr)) Orthogonal(wHr.Value.Span, o.ProjSize, H, rng);
                    foreach (var peep in new[] { "peephole_i", "peephole_f", "peephole_o" })
                        if (rnn.TryGetParameter(peep + s, out var pp)) pp.Value.Clear();
                }
                if (!o.Cell.IsLstm()) continue;
                var bF = bIh.Slice(H, H);
                if (scheme == InitScheme.Chrono)
                {
                    var bI = bIh[..H];
                    for (int j = 0; j < H; j++)
                    {
                        bF[j] = (float)Math.Log(rng.Uniform(1, chronoMaxT - 1));
                        bI[j] = -bF[j];
                    }
                    bHh[..(2 * H)].Clear();
                }
                else if (forgetBias is float fb)
                {
                    bF.Fill(fb);
                    bHh.Slice(H, H).Clear();
                }
            }
    }
}
