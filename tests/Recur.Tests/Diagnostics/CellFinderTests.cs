using Recur.Diagnostics;
using Recur.Training;

namespace Recur.Tests.Diagnostics;

/// <summary>The cell finder ranks cells by |Pearson r| and finds a planted cell among noise.</summary>
public class CellFinderTests
{
    [Fact]
    public void FindsAPlantedCellInASyntheticRecording()
    {
        const int N = 3000, Units = 40;
        var rng = new Rng(3);
        var text = TextFeatures.CodePoints(string.Concat(Enumerable.Range(0, N / 20).Select(i => i % 3 == 0 ? "He said “go on,” and left.\n  " : "the whale swam far below us.\n ")))[..N];
        var features = TextFeatures.All(text);
        var quotes = features.Single(f => f.Name == TextFeatures.InsideQuotes).Values;
        var layer0 = new float[N * Units];
        var layer1 = new float[N * Units];
        for (int i = 0; i < layer0.Length; i++) { layer0[i] = (float)(rng.NextDouble() * 2 - 1); layer1[i] = (float)(rng.NextDouble() * 2 - 1); }
        for (int t = 0; t < N; t++) layer1[t * Units + 17] = -0.8f * quotes[t] + 0.1f * (float)rng.NextDouble();   // anti-correlated: |r| counts

        var ranking = CellFinder.Rank(features, [layer0, layer1], N, top: 3);
        var q = ranking.Single(r => r.Feature == TextFeatures.InsideQuotes);
        Assert.False(q.Constant);
        Assert.Equal((1, 17), (q.Best[0].Layer, q.Best[0].Unit));
        Assert.True(q.Best[0].R < -0.95, $"r = {q.Best[0].R}");
        Assert.True(Math.Abs(q.Best[1].R) < 0.2);
        Assert.True(ranking.Single(r => r.Feature == TextFeatures.InsideComment).Constant);   // no code here
        Assert.Empty(ranking.Single(r => r.Feature == TextFeatures.InsideComment).Best);
    }

    [Fact]
    public void CorrelationsMatchPearsonAndConstantCellsScoreZero()
    {
        const int N = 200, Units = 3;
        var rng = new Rng(9);
        var f = new TextFeature("f", "", Enumerable.Range(0, N).Select(_ => (float)rng.NextDouble()).ToArray());
        var cells = new float[N * Units];
        for (int t = 0; t < N; t++) { cells[t * Units] = (float)rng.NextDouble() + f.Values[t]; cells[t * Units + 1] = 0.5f; cells[t * Units + 2] = -f.Values[t]; }
        var r = CellFinder.Correlations([f], [cells], N)[0]!;
        var column0 = Enumerable.Range(0, N).Select(t => cells[t * Units]).ToArray();
        Assert.Equal(CellFinder.Pearson(column0, f.Values), r[0][0], 5);
        Assert.Equal(0, r[0][1]);
        Assert.Equal(-1, r[0][2], 5);
    }
}
