using System.Numerics.Tensors;

namespace Recur.Diagnostics;

/// <summary>One cell (0-based layer and unit) and its Pearson correlation with a feature.</summary>
public sealed record CellCorrelation(int Layer, int Unit, double R);

/// <summary>The cells that follow one feature best, by |r|, best first. <see cref="Constant"/>: the feature
/// does not vary over the text, so no correlation is defined (and <see cref="Best"/> is empty).</summary>
public sealed record FeatureRanking(string Feature, string Description, bool Constant, IReadOnlyList<CellCorrelation> Best);

/// <summary>
/// Finds interpretable cells: for each text feature, every cell of every layer is ranked by the absolute Pearson
/// correlation of its activation with the feature over the text. A cell that never changes has r = 0.
/// </summary>
public static class CellFinder
{
    /// <summary>Ranks the cells of every layer; <paramref name="layerCells"/>[l] is <c>[N, units]</c> time-major.</summary>
    public static IReadOnlyList<FeatureRanking> Rank(IReadOnlyList<TextFeature> features, IReadOnlyList<float[]> layerCells, int length, int top = 5)
    {
        if (length < 2) throw new ArgumentException($"correlation needs at least 2 characters, got {length}");
        if (top < 1) throw new ArgumentException($"top must be ≥ 1, got {top}");
        var all = Correlations(features, layerCells, length);
        var result = new List<FeatureRanking>(features.Count);
        for (int f = 0; f < features.Count; f++)
        {
            var rs = all[f];
            var best = rs is null ? [] : rs
                .SelectMany((unitRs, layer) => unitRs.Select((r, unit) => new CellCorrelation(layer, unit, r)))
                .OrderByDescending(c => Math.Abs(c.R)).ThenBy(c => c.Layer).ThenBy(c => c.Unit)
                .Take(top).ToList();
            result.Add(new FeatureRanking(features[f].Name, features[f].Description, rs is null, best));
        }
        return result;
    }

    /// <summary>Pearson r of every cell with every feature: <c>[feature][layer][unit]</c>, null for a constant feature.</summary>
    public static double[][]?[] Correlations(IReadOnlyList<TextFeature> features, IReadOnlyList<float[]> layerCells, int length)
    {
        int N = length;
        foreach (var f in features)
            if (f.Values.Length != N) throw new ArgumentException($"feature '{f.Name}' has {f.Values.Length} values for {N} characters");
        var stats = new (int Units, double[] Std)[layerCells.Count];
        for (int l = 0; l < layerCells.Count; l++)
        {
            if (layerCells[l].Length % N != 0) throw new ArgumentException($"layer {l}: {layerCells[l].Length} values are not [{N}, units]");
            int units = layerCells[l].Length / N;
            stats[l] = (units, StandardDeviations(layerCells[l], N, units));
        }
        double[][]?[] result = new double[features.Count][][];
        var centred = new float[N];
        for (int f = 0; f < features.Count; f++)
        {
            var x = features[f].Values;
            double mean = 0;
            foreach (float v in x) mean += v;
            mean /= N;
            double varF = 0;
            for (int t = 0; t < N; t++) { centred[t] = (float)(x[t] - mean); varF += (x[t] - mean) * (x[t] - mean); }
            double stdF = Math.Sqrt(varF / N);
            if (stdF < 1e-12) continue;
            var perLayer = new double[layerCells.Count][];
            for (int l = 0; l < layerCells.Count; l++)
            {
                var (units, std) = stats[l];
                var cells = layerCells[l];
                // Σ_t (f_t − mean f) · a_tu: with a centred feature the cell's mean drops out.
                var acc = new double[units];
                var row = new float[units];
                for (int t0 = 0; t0 < N; t0 += 64)
                {
                    Array.Clear(row);
                    int t1 = Math.Min(N, t0 + 64);
                    for (int t = t0; t < t1; t++)
                        TensorPrimitives.MultiplyAdd(cells.AsSpan(t * units, units), centred[t], row, row);
                    for (int u = 0; u < units; u++) acc[u] += row[u];
                }
                var r = new double[units];
                for (int u = 0; u < units; u++)
                    r[u] = std[u] < 1e-9 ? 0 : Math.Clamp(acc[u] / N / (std[u] * stdF), -1, 1);
                perLayer[l] = r;
            }
            result[f] = perLayer;
        }
        return result;
    }

    /// <summary>Pearson correlation of two equally long series (0 when either is constant).</summary>
    public static double Pearson(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"series of {a.Length} and {b.Length} values");
        int n = a.Length;
        double ma = 0, mb = 0;
        for (int i = 0; i < n; i++) { ma += a[i]; mb += b[i]; }
        ma /= n;
        mb /= n;
        double sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < n; i++)
        {
            double da = a[i] - ma, db = b[i] - mb;
            sab += da * db;
            saa += da * da;
            sbb += db * db;
        }
        return saa < 1e-18 || sbb < 1e-18 ? 0 : sab / Math.Sqrt(saa * sbb);
    }

    private static double[] StandardDeviations(float[] cells, int N, int units)
    {
        var mean = new double[units];
        var sq = new double[units];
        for (int t = 0; t < N; t++)
        {
            var row = cells.AsSpan(t * units, units);
            for (int u = 0; u < units; u++) { mean[u] += row[u]; sq[u] += (double)row[u] * row[u]; }
        }
        var std = new double[units];
        for (int u = 0; u < units; u++)
        {
            double m = mean[u] / N;
            std[u] = Math.Sqrt(Math.Max(0, sq[u] / N - m * m));
        }
        return std;
    }
}
