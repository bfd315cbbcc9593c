namespace Recur.Diagnostics;

/// <summary>The most likely classes of one row of logits, by softmax probability.</summary>
public static class TopPredictions
{
    /// <summary>Writes the <c>ids.Length</c> most likely classes of <paramref name="logits"/> (most likely first,
    /// ties by lower id) and their softmax probabilities; <paramref name="scratch"/> holds at least as many values as the logits.</summary>
    public static void Select(ReadOnlySpan<float> logits, Span<float> scratch, Span<int> ids, Span<float> probabilities)
    {
        int V = logits.Length, k = ids.Length;
        if (k > V) throw new ArgumentException($"asked for the top {k} of {V} classes");
        float max = float.NegativeInfinity;
        foreach (float z in logits) max = Math.Max(max, z);
        double sum = 0;
        for (int v = 0; v < V; v++) sum += scratch[v] = MathF.Exp(logits[v] - max);
        for (int j = 0; j < k; j++) { ids[j] = -1; probabilities[j] = -1f; }
        for (int v = 0; v < V; v++)
        {
            float p = (float)(scratch[v] / sum);
            if (p <= probabilities[k - 1]) continue;
            int j = k - 1;
            while (j > 0 && p > probabilities[j - 1])
            {
                ids[j] = ids[j - 1];
                probabilities[j] = probabilities[j - 1];
                j--;
            }
            ids[j] = v;
            probabilities[j] = p;
        }
    }
}
