using Recur.Data;
using Recur.Diagnostics;
using Recur.Tasks;
using Recur.Tensors;

namespace Recur.Tests.Diagnostics;

/// <summary>Recording a char model over a text: same numbers as streaming, a planted quote cell is found.</summary>
public class ActivationRecordingTests
{
    [Fact]
    public void CellFinderFindsTheHandSetQuoteCell()
    {
        var model = PlantedModels.QuoteCell(unit: 5);
        var ids = model.Vocabulary.Encode(PlantedModels.Text(6));
        var rec = ActivationRecording.Record(model, ids, new ActivationRecordingOptions { Chunk = 100 });
        var features = TextFeatures.All(rec.CodePoints);
        var ranking = CellFinder.Rank(features, rec.Layers.Select(l => l.Cells).ToList(), rec.Length);
        var quotes = ranking.Single(r => r.Feature == TextFeatures.InsideQuotes);
        Assert.Equal((0, 5), (quotes.Best[0].Layer, quotes.Best[0].Unit));
        Assert.True(quotes.Best[0].R > 0.95, $"r = {quotes.Best[0].R}");
        // Its output gate is always open: right-saturated at every step.
        var sat = rec.Layers[0].Saturation;
        Assert.Equal(["i", "f", "o"], sat.GateNames);
        Assert.Equal(1.0, sat.RightFraction(2)[5]);
        Assert.Equal(0.0, sat.LeftFraction(2)[5]);
        Assert.Equal(rec.Length, sat.Steps);
    }

    [Theory]
    [InlineData("lstm")]
    [InlineData("gru")]
    public void RecordingMatchesStreamingStepByStep(string cell)
    {
        var vocab = Vocabulary.FromText(PlantedModels.Book);
        var model = CharLmModel.Create(new CharLmConfig { Cell = cell, Embed = 6, Hidden = 10, Layers = 2 }, vocab, seed: 11);
        var ids = vocab.Encode(PlantedModels.Book);
        var rec = ActivationRecording.Record(model, ids, new ActivationRecordingOptions { Chunk = 37, KeepGates = true });

        var state = model.Network.CreateStreamState(1);
        var logits = new float[vocab.Count];
        var scratch = new ScratchBuffer();
        int k = rec.TopK;
        for (int t = 0; t < ids.Length; t++)
        {
            model.Network.Step(ids[t], state, logits, scratch);
            for (int l = 0; l < 2; l++)
            {
                var expected = state[0].H.Span.Slice(l * 10, 10);
                var recorded = rec.Layers[l].Hidden.AsSpan(t * 10, 10);
                for (int u = 0; u < 10; u++) Close(expected[u], recorded[u]);
                if (cell == "lstm")
                    for (int u = 0; u < 10; u++) Close(MathF.Tanh(state[0].C!.Span[l * 10 + u]), rec.Layers[l].TanhCell![t * 10 + u]);
            }
            Assert.Equal(Array.IndexOf(logits, logits.Max()), rec.TopIds[t * k]);
            float sum = 0;
            for (int j = 0; j < k; j++) sum += rec.TopProbabilities[t * k + j];
            Assert.InRange(sum, 0f, 1.0001f);
            for (int j = 1; j < k; j++) Assert.True(rec.TopProbabilities[t * k + j] <= rec.TopProbabilities[t * k + j - 1]);
        }
        Assert.Equal(cell == "lstm" ? 3 : 2, rec.Layers[0].GateNames.Count);
        Assert.Equal(ids.Length * rec.Layers[0].GateNames.Count * 10, rec.Layers[1].Gates!.Length);
        Assert.All(rec.Layers[1].Gates!, g => Assert.InRange(g, 0f, 1f));
        Assert.Null(model.Network.Rnn[0].Recorder);   // restored
    }

    private static void Close(float expected, float actual) => Assert.True(Math.Abs(expected - actual) < 1e-4f, $"expected {expected}, got {actual}");

    [Fact]
    public void TopPredictionsAreSortedSoftmaxProbabilities()
    {
        float[] logits = [0f, 2f, 1f, 2f, -1f];
        var ids = new int[3];
        var p = new float[3];
        TopPredictions.Select(logits, new float[5], ids, p);
        Assert.Equal([1, 3, 2], ids);
        double z = logits.Sum(x => Math.Exp(x));
        Assert.Equal(Math.Exp(2) / z, p[0], 5);
        Assert.Equal(Math.Exp(1) / z, p[2], 5);
    }
}
