using System.Numerics.Tensors;
using Recur.Kernels;

namespace Recur.Training;

/// <summary>
/// Softmax cross-entropy over rows of logits, fused and numerically stable: per row one pass for the max,
/// one for exp(x − max) and its sum, then loss = log Σ − (x_target − max) and
/// ∂/∂x = scale·(softmax − onehot). The mean over N rows uses scale = 1/N (the default).
/// </summary>
public static class SoftmaxCrossEntropy
{
    /// <summary>Mean (or scaled sum) of −log softmax(logits)[target] over <c>[N, C]</c> rows; writes the gradient of
    /// the same quantity into <paramref name="grad"/> (may alias <paramref name="logits"/>). Returns the mean loss in nats.</summary>
    public static double ForwardBackward(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int classes, Span<float> grad, float? scale = null)
    {
        int n = Check(logits, targets, classes);
        if (grad.Length != logits.Length) throw new ArgumentException($"grad: expected {logits.Length} values, got {grad.Length}");
        float s = scale ?? 1f / n;
        double total = 0;
        for (int r = 0; r < n; r++)
        {
            var x = logits.Slice(r * classes, classes);
            var g = grad.Slice(r * classes, classes);
            int target = targets[r];
            float max = TensorPrimitives.Max(x);
            float xt = x[target];
            TensorPrimitives.Subtract(x, max, g);   // g may alias x: xt read before
            VectorMath.Exp(g, g);
            float sum = TensorPrimitives.Sum(g);
            total += Math.Log(sum) - (xt - max);
            TensorPrimitives.Multiply(g, s / sum, g);
            g[target] -= s;
        }
        return total / n;
    }

    /// <summary>The mean loss only (evaluation); <paramref name="scratch"/> holds one row.</summary>
    public static double Loss(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int classes, Span<float> scratch)
        => Sum(logits, targets, classes, scratch) / (logits.Length / classes);

    /// <summary>Σ over rows of −log softmax(logits)[target], in nats (float64 accumulation).</summary>
    public static double Sum(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int classes, Span<float> scratch)
    {
        int n = Check(logits, targets, classes);
        var e = scratch[..classes];
        double total = 0;
        for (int r = 0; r < n; r++)
        {
            var x = logits.Slice(r * classes, classes);
            float max = TensorPrimitives.Max(x);
            TensorPrimitives.Subtract(x, max, e);
            VectorMath.Exp(e, e);
            total += Math.Log(TensorPrimitives.Sum(e)) - (x[targets[r]] - max);
        }
        return total;
    }

    private static int Check(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int classes)
    {
        if (classes < 1 || logits.Length % classes != 0) throw new ArgumentException($"logits of {logits.Length} values are not rows of {classes}");
        int n = logits.Length / classes;
        if (targets.Length != n) throw new ArgumentException($"targets: expected {n} (one per row), got {targets.Length}");
        if (n == 0) throw new ArgumentException("no rows");
        foreach (int t in targets)
            if ((uint)t >= (uint)classes) throw new ArgumentOutOfRangeException(nameof(targets), $"target {t} outside [0, {classes})");
        return n;
    }
}

/// <summary>Mean squared error: L = (1/N) Σ (p − y)², ∂L/∂p = 2(p − y)/N over all N values.</summary>
public static class MeanSquaredError
{
    public static double ForwardBackward(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> grad)
    {
        int n = prediction.Length;
        if (target.Length != n || grad.Length != n) throw new ArgumentException($"prediction, target and grad lengths differ: {n}, {target.Length}, {grad.Length}");
        if (n == 0) throw new ArgumentException("no values");
        double total = 0;
        float s = 2f / n;
        for (int i = 0; i < n; i++)
        {
            float d = prediction[i] - target[i];
            total += (double)d * d;
            grad[i] = s * d;
        }
        return total / n;
    }

    public static double Loss(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target)
    {
        if (target.Length != prediction.Length) throw new ArgumentException("prediction and target lengths differ");
        double total = 0;
        for (int i = 0; i < prediction.Length; i++) { double d = prediction[i] - target[i]; total += d * d; }
        return total / prediction.Length;
    }
}
