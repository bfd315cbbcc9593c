using CsCheck;
using MathNet.Numerics.LinearAlgebra;
using Recur.Cells;
using Recur.Diagnostics;
using Recur.Layers;
using Recur.Training;

namespace Recur.Tests.Diagnostics;

public sealed class RecurrentSpectrumTests
{
    /// <summary>A scaled rotation has the complex pair r·e^{±iθ}: power iteration would rotate forever; ρ must still be r.</summary>
    [Fact]
    public void SpectralRadius_OfAScaledRotationPlusSmallDiagonal_IsTheRotationsScale()
    {
        const int n = 5;
        double r = 1.7, th = 0.9;
        var w = new float[n * n];
        w[0] = (float)(r * Math.Cos(th)); w[1] = (float)(-r * Math.Sin(th));
        w[n] = (float)(r * Math.Sin(th)); w[n + 1] = (float)(r * Math.Cos(th));
        w[2 * n + 2] = 0.4f; w[3 * n + 3] = -1.2f; w[4 * n + 4] = 0.1f;
        Assert.Equal(r, RecurrentSpectrum.SpectralRadius(w, n), 5);
    }

    [Fact]
    public void LargestSingularValue_ByPowerIteration_MatchesTheSvd()
    {
        Gen.Select(Gen.Int[1, 12], Gen.Int[1, 12], Gen.Int[0, 1 << 20]).Sample((rows, cols, seed) =>
        {
            var rng = new Rng((ulong)seed);
            var w = Enumerable.Range(0, rows * cols).Select(_ => (float)rng.NextGaussian()).ToArray();
            var m = Matrix<double>.Build.Dense(rows, cols, (i, j) => w[i * cols + j]);
            double expected = m.Svd(false).S[0];
            double got = RecurrentSpectrum.LargestSingularValue(w, rows, cols, maxIterations: 20000, tolerance: 1e-13);
            return Math.Abs(got - expected) <= 1e-4 * expected;
        }, iter: 50);
        Assert.Equal(5.0, RecurrentSpectrum.LargestSingularValue(new float[] { 3, 0, 0, 0, -5, 0, 0, 0, 1 }, 3, 3), 6);
    }

    [Theory]
    [InlineData(CellType.RnnTanh, 0.5)]
    [InlineData(CellType.RnnRelu, 1.5)]
    [InlineData(CellType.Lstm, 1.2)]
    [InlineData(CellType.Gru, 0.8)]
    public void Rescale_HitsTheRequestedRadius(CellType cell, double radius)
    {
        const int H = 16;
        var rnn = new Recurrent(new RecurrentOptions(cell, 3, H, NumLayers: 2), seed: 4);   // PyTorch's uniform init
        RecurrentSpectrum.RescaleRecurrent(rnn, radius);
        var spectrum = RecurrentSpectrum.Analyze(rnn);
        int G = cell.Gates();
        foreach (var layer in new[] { "weight_hh_l0", "weight_hh_l1" })
        {
            var w = rnn[layer].Value.Data.AsMemory();
            double max = Enumerable.Range(0, G).Max(g => RecurrentSpectrum.SpectralRadius(w.Span.Slice(g * H * H, H * H), H));
            Assert.Equal(radius, max, 4);
            var entries = spectrum.Where(s => s.Name.StartsWith(layer, StringComparison.Ordinal)).ToList();
            Assert.Equal(G == 1 ? 1 : G + 1, entries.Count);
            Assert.Equal(radius, entries.Where(e => double.IsFinite(e.SpectralRadius)).Max(e => e.SpectralRadius), 4);
        }
    }

    [Fact]
    public void Rescale_RejectsNonPositiveRadius()
    {
        var rnn = new Recurrent(new RecurrentOptions(CellType.RnnTanh, 2, 4));
        Assert.Throws<ArgumentException>(() => RecurrentSpectrum.RescaleRecurrent(rnn, 0));
        Assert.Throws<ArgumentException>(() => RecurrentSpectrum.RescaleRecurrent(rnn, double.NaN));
    }
}
