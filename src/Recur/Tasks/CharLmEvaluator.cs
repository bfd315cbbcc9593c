using Recur.Layers;
using Recur.Training;

namespace Recur.Tasks;

/// <summary>Cross-entropy of a char model over a slice, the state carried through the whole slice from zero (no truncation).</summary>
public static class CharLmEvaluator
{
    public const int Chunk = 256;

    /// <summary>Mean −log p(next character) in nats over the <c>ids.Length − 1</c> predictions of <paramref name="ids"/>.</summary>
    public static double MeanNats(Sequential network, ReadOnlySpan<int> ids)
    {
        if (ids.Length < 2) throw new ArgumentException($"evaluation needs at least 2 characters, got {ids.Length}");
        var state = network.CreateState(1);
        int V = network.Options.OutputSize;
        var scratch = new float[V];
        double total = 0;
        int n = ids.Length - 1;
        for (int start = 0; start < n; start += Chunk)
        {
            int T = Math.Min(Chunk, n - start);
            var logits = network.Forward(ids.Slice(start, T), T, 1, state, training: false);
            total += SoftmaxCrossEntropy.Sum(logits, ids.Slice(start + 1, T), V, scratch);
        }
        return total / n;
    }

    public static double ToBits(double nats) => nats / Math.Log(2);
}
