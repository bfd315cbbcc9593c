using Recur.Training;

namespace Recur.Tasks;

/// <summary>
/// The temporal-order task (Hochreiter &amp; Schmidhuber 1997, experiment 6a), scaled to length T: the sequence starts
/// with B and ends with E; every other symbol is a random distractor a, b, c, d except two, at t₁ ∈ [0.1T, 0.2T] and
/// t₂ ∈ [0.5T, 0.6T], which are each X or Y. The class, read at the last step, is the ordered pair: XX, XY, YX, YY.
/// Inputs one-hot over 8 symbols (a, b, c, d, X, Y, B, E). The trivial predictor (uniform) scores log 4 ≈ 1.386 nats.
/// Solved: held-out accuracy &gt; 99%.
/// </summary>
public sealed class TemporalOrderTask : SyntheticTask
{
    public const int Distractors = 4, SymbolX = 4, SymbolY = 5, Begin = 6, End = 7;
    public const double SolvedAccuracy = 0.99;

    public TemporalOrderTask(int length)
    {
        if (length < 10) throw new ArgumentException($"the temporal-order task needs length ≥ 10, got {length}");
        Delay = length;
    }

    public override string Name => "temporal-order";
    public override int Delay { get; }
    public override int Steps => Delay;
    public override int InputSize => 8;
    public override int OutputSize => 4;
    public override bool IsClassification => true;
    public override double BaselineLoss => Math.Log(4);
    public override string MetricName => "accuracy";
    public override string SolvedCriterion => $"held-out accuracy > {SolvedAccuracy:P0}";

    /// <summary>The inclusive ranges of the two relevant positions.</summary>
    public (int Lo, int Hi) FirstRange => (Delay / 10, Delay / 5);
    public (int Lo, int Hi) SecondRange => (Delay / 2, Delay * 6 / 10);

    // x [T, B, 8] one-hot; classes [B] at the last step: 2·[first is Y] + [second is Y].
    public override SyntheticBatch Generate(int batch, Rng rng)
    {
        int T = Steps, I = InputSize;
        var x = new float[T * batch * I];
        var y = new int[batch];
        var (lo1, hi1) = FirstRange;
        var (lo2, hi2) = SecondRange;
        for (int b = 0; b < batch; b++)
        {
            int t1 = lo1 + rng.NextInt(hi1 - lo1 + 1), t2 = lo2 + rng.NextInt(hi2 - lo2 + 1);
            int s1 = rng.NextInt(2), s2 = rng.NextInt(2);
            for (int t = 0; t < T; t++)
            {
                int symbol = t == 0 ? Begin : t == T - 1 ? End : t == t1 ? SymbolX + s1 : t == t2 ? SymbolX + s2 : rng.NextInt(Distractors);
                x[(t * batch + b) * I + symbol] = 1f;
            }
            y[b] = 2 * s1 + s2;
        }
        return new SyntheticBatch(x, T, batch, T - 1, y, null);
    }

    public override double Metric(ReadOnlySpan<float> outputs, SyntheticBatch batch, double loss)
    {
        int correct = 0, C = OutputSize;
        for (int b = 0; b < batch.B; b++)
            if (ArgMax(outputs.Slice(b * C, C)) == batch.Classes![b]) correct++;
        return (double)correct / batch.B;
    }

    public override bool IsSolved(double metric) => metric > SolvedAccuracy;
}
