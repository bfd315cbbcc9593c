using MathNet.Numerics.LinearAlgebra;
using Recur.Cells;
using Recur.Layers;
using Recur.Training;

namespace Recur.Diagnostics;

/// <summary>The spectrum of one recurrent matrix: W_hh of a layer as a whole, or one of its gate blocks.</summary>
/// <param name="Name">Parameter name, with the gate for a block (<c>weight_hh_l0[f]</c>).</param>
/// <param name="SpectralRadius">max |λ| (square matrices only; NaN for the whole <c>[G·H, H]</c> of a gated cell).</param>
/// <param name="LargestSingularValue">σ_max = ‖W‖₂, by power iteration on WᵀW.</param>
public sealed record MatrixSpectrum(string Name, double SpectralRadius, double LargestSingularValue);

/// <summary>
/// Spectral radius and largest singular value of recurrent weight matrices, and rescaling to a chosen radius.
/// <para>σ_max comes from power iteration on the symmetric WᵀW (its dominant eigenvalue is real and positive, so
/// the iteration converges). The spectral radius does not: a random non-symmetric matrix usually has a dominant
/// complex pair, where plain power iteration rotates instead of converging, so ρ is computed from all eigenvalues
/// of the dense matrix (MathNet; H ≤ a few thousand is milliseconds to seconds).</para>
/// </summary>
public static class RecurrentSpectrum
{
    /// <summary>Gate names per block, PyTorch order.</summary>
    public static string[] GateNames(CellType cell) => cell.Gates() switch
    {
        4 => ["i", "f", "g", "o"],
        3 => ["r", "z", "n"],
        _ => [""],
    };

    /// <summary>max |λ| of a square <c>[n, n]</c> row-major matrix.</summary>
    public static double SpectralRadius(ReadOnlySpan<float> w, int n)
    {
        if (w.Length < n * n) throw new ArgumentException($"spectral radius: expected {n}x{n} values, got {w.Length}");
        if (n == 0) return 0;
        var copy = w[..(n * n)].ToArray();
        var m = Matrix<double>.Build.Dense(n, n, (i, j) => copy[i * n + j]);
        return m.Evd(Symmetricity.Asymmetric).EigenValues.Max(l => l.Magnitude);
    }

    /// <summary>σ_max of a <c>[rows, cols]</c> row-major matrix by power iteration on WᵀW (float64), from a seeded
    /// random start; stops when σ changes by less than <paramref name="tolerance"/> (relative) or after
    /// <paramref name="maxIterations"/>.</summary>
    public static double LargestSingularValue(ReadOnlySpan<float> w, int rows, int cols, int maxIterations = 1000, double tolerance = 1e-9, ulong seed = 7)
    {
        if (w.Length < rows * cols) throw new ArgumentException($"singular value: expected {rows}x{cols} values, got {w.Length}");
        var rng = new Rng(seed);
        var v = new double[cols];   // [cols]
        var u = new double[rows];   // [rows] = W v
        for (int j = 0; j < cols; j++) v[j] = rng.NextGaussian();
        Normalize(v);
        double sigma = 0;
        for (int it = 0; it < maxIterations; it++)
        {
            // u = W v; v' = Wᵀ u; σ² ≈ ‖v'‖ (v unit)
            for (int i = 0; i < rows; i++)
            {
                double s = 0;
                var row = w.Slice(i * cols, cols);
                for (int j = 0; j < cols; j++) s += row[j] * v[j];
                u[i] = s;
            }
            Array.Clear(v);
            for (int i = 0; i < rows; i++)
            {
                var row = w.Slice(i * cols, cols);
                double ui = u[i];
                for (int j = 0; j < cols; j++) v[j] += row[j] * ui;
            }
            double norm = Normalize(v);
            if (norm == 0) return 0;
            double next = Math.Sqrt(norm);
            bool done = Math.Abs(next - sigma) <= tolerance * next;
            sigma = next;
            if (done) break;
        }
        return sigma;
    }

    /// <summary>For every layer and direction: W_hh as a whole, then each gate block (gated cells) —
    /// the radius of a block needs it square (no projection).</summary>
    public static List<MatrixSpectrum> Analyze(Recurrent rnn)
    {
        var o = rnn.Options;
        int G = o.Cell.Gates(), H = o.HiddenSize, Ho = o.StateSize;
        var gates = GateNames(o.Cell);
        var result = new List<MatrixSpectrum>();
        for (int l = 0; l < o.NumLayers; l++)
            for (int d = 0; d < o.Directions; d++)
            {
                string name = "weight_hh" + Recurrent.Suffix(l, d);
                var w = rnn[name].Value.Span;
                bool square = H == Ho;
                double whole = G == 1 && square ? SpectralRadius(w, H) : double.NaN;
                result.Add(new MatrixSpectrum(name, whole, LargestSingularValue(w, G * H, Ho)));
                if (G == 1) continue;
                for (int g = 0; g < G; g++)
                {
                    var block = w.Slice(g * H * Ho, H * Ho);
                    result.Add(new MatrixSpectrum($"{name}[{gates[g]}]", square ? SpectralRadius(block, H) : double.NaN,
                        LargestSingularValue(block, H, Ho)));
                }
            }
        return result;
    }

    /// <summary>
    /// Multiplies each W_hh by one factor so that its spectral radius becomes <paramref name="radius"/>: for an RNN
    /// the radius of W_hh; for LSTM/GRU (the whole W_hh scaled as one) the largest radius among its gate blocks.
    /// Needs square blocks (no projection). Returns the factors applied, per layer and direction.
    /// </summary>
    public static List<double> RescaleRecurrent(Recurrent rnn, double radius)
    {
        if (!(radius > 0) || !double.IsFinite(radius)) throw new ArgumentException($"recurrent scale must be a positive number, got {radius}");
        var o = rnn.Options;
        if (o.ProjSize > 0) throw new ArgumentException("rescaling to a spectral radius needs square recurrent blocks (no projection)");
        int G = o.Cell.Gates(), H = o.HiddenSize;
        var factors = new List<double>();
        for (int l = 0; l < o.NumLayers; l++)
            for (int d = 0; d < o.Directions; d++)
            {
                var w = rnn["weight_hh" + Recurrent.Suffix(l, d)].Value.Span;
                double current = 0;
                for (int g = 0; g < G; g++) current = Math.Max(current, SpectralRadius(w.Slice(g * H * H, H * H), H));
                if (current == 0) throw new ArgumentException("cannot rescale a recurrent matrix whose spectral radius is 0");
                float factor = (float)(radius / current);
                for (int i = 0; i < w.Length; i++) w[i] *= factor;
                factors.Add(factor);
            }
        return factors;
    }

    private static double Normalize(double[] v)
    {
        double s = 0;
        foreach (double x in v) s += x * x;
        double n = Math.Sqrt(s);
        if (n > 0) for (int i = 0; i < v.Length; i++) v[i] /= n;
        return n;
    }
}
