using Recur.Training;

namespace Recur.Tasks;

/// <summary>
/// The copy-memory task (Hochreiter &amp; Schmidhuber 1997; Arjovsky, Shah &amp; Bengio 2016): T + 20 steps over the
/// alphabet 0 = blank, 1..8 = symbols, 9 = delimiter. The input is 10 random symbols, T − 1 blanks, the delimiter,
/// then 10 blanks; the target is T + 10 blanks, then the 10 symbols again. Inputs are one-hot (10), outputs 9
/// classes (blank and the 8 symbols). The trivial predictor (blank for the first T + 10 steps, uniform over the 8
/// symbols for the last 10) scores a mean cross-entropy of 10·log(8)/(T + 20) nats.
/// Solved: accuracy on the 10 recalled symbols &gt; 99% on the held-out set.
/// </summary>
public sealed class CopyMemoryTask : SyntheticTask
{
    public const int Symbols = 8, Recall = 10, Blank = 0, Delimiter = 9;
    public const double SolvedAccuracy = 0.99;

    public CopyMemoryTask(int delay)
    {
        if (delay < 1) throw new ArgumentException($"the copy task needs a delay ≥ 1, got {delay}");
        Delay = delay;
    }

    public override string Name => "copy";
    public override int Delay { get; }
    public override int Steps => Delay + 2 * Recall;
    public override int InputSize => Symbols + 2;
    public override int OutputSize => Symbols + 1;
    public override bool IsClassification => true;
    public override double BaselineLoss => Recall * Math.Log(Symbols) / Steps;
    public override string MetricName => "accuracy";
    public override string SolvedCriterion => $"held-out accuracy on the {Recall} recalled symbols > {SolvedAccuracy:P0}";

    // x [T+20, B, 10] one-hot; classes [(T+20)·B].
    public override SyntheticBatch Generate(int batch, Rng rng)
    {
        int S = Steps, I = InputSize;
        var x = new float[S * batch * I];
        var y = new int[S * batch];
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < S; t++)
            {
                int input = Blank, target = Blank;
                if (t < Recall) input = 1 + rng.NextInt(Symbols);
                else if (t == Delay + Recall - 1) input = Delimiter;
                x[(t * batch + b) * I + input] = 1f;
                if (t >= Delay + Recall)
                {
                    // the symbol shown at t − (T + 10)
                    int shown = t - Delay - Recall;
                    target = ArgMax(x.AsSpan((shown * batch + b) * I, I));
                }
                y[t * batch + b] = target;
            }
        }
        return new SyntheticBatch(x, S, batch, 0, y, null);
    }

    /// <summary>Accuracy over the last 10 steps (the recalled symbols).</summary>
    public override double Metric(ReadOnlySpan<float> outputs, SyntheticBatch batch, double loss)
    {
        int B = batch.B, C = OutputSize, correct = 0;
        for (int t = Steps - Recall; t < Steps; t++)
            for (int b = 0; b < B; b++)
            {
                int row = t * B + b;
                if (ArgMax(outputs.Slice(row * C, C)) == batch.Classes![row]) correct++;
            }
        return (double)correct / (Recall * B);
    }

    public override bool IsSolved(double metric) => metric > SolvedAccuracy;
}
