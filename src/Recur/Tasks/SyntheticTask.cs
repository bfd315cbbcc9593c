using Recur.Training;

namespace Recur.Tasks;

/// <summary>
/// A batch of a synthetic task, time-major. Targets exist only for the steps [<see cref="LossFrom"/>, T):
/// <see cref="Classes"/> <c>[(T − LossFrom)·B]</c> for classification, <see cref="Values"/> <c>[(T − LossFrom)·B·O]</c> for regression.
/// </summary>
/// <param name="Inputs"><c>[T, B, I]</c>.</param>
public sealed record SyntheticBatch(float[] Inputs, int T, int B, int LossFrom, int[]? Classes, float[]? Values)
{
    public int LossSteps => T - LossFrom;
}

/// <summary>
/// A synthetic long-range task with an exact generator, the loss of its trivial predictor, and a criterion for
/// "solved" on a held-out set. Classification tasks use the mean softmax cross-entropy over the target steps
/// (nats); regression tasks the mean squared error.
/// </summary>
public abstract class SyntheticTask
{
    /// <summary>The command-line name: adding, copy, temporal-order.</summary>
    public abstract string Name { get; }
    /// <summary>The delay T the task is named by (<c>--length</c>).</summary>
    public abstract int Delay { get; }
    /// <summary>Steps per sequence (adding T, copy T + 20, temporal order T).</summary>
    public abstract int Steps { get; }
    public abstract int InputSize { get; }
    /// <summary>Classes (classification) or output values per step (regression).</summary>
    public abstract int OutputSize { get; }
    public abstract bool IsClassification { get; }
    /// <summary>The loss of the trivial predictor (see each task), in the units of the training loss.</summary>
    public abstract double BaselineLoss { get; }
    /// <summary>The held-out figure that decides "solved": "mse" or "accuracy".</summary>
    public abstract string MetricName { get; }
    /// <summary>A one-line statement of the solved criterion.</summary>
    public abstract string SolvedCriterion { get; }

    public abstract SyntheticBatch Generate(int batch, Rng rng);

    /// <summary>The held-out figure from the model's outputs <c>[(T − LossFrom)·B, O]</c> (logits or values)
    /// and the training loss already computed on them.</summary>
    public abstract double Metric(ReadOnlySpan<float> outputs, SyntheticBatch batch, double loss);

    public abstract bool IsSolved(double metric);

    /// <summary>Parses adding | copy | temporal-order (or order).</summary>
    public static SyntheticTask Create(string name, int length) => name.Trim().ToLowerInvariant() switch
    {
        "adding" => new AddingProblem(length),
        "copy" or "copy-memory" => new CopyMemoryTask(length),
        "temporal-order" or "order" => new TemporalOrderTask(length),
        _ => throw new ArgumentException($"unknown task '{name}' (known: adding, copy, temporal-order)"),
    };

    /// <summary>argmax per row of <c>[N, C]</c>.</summary>
    protected static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int j = 1; j < row.Length; j++) if (row[j] > row[best]) best = j;
        return best;
    }
}
