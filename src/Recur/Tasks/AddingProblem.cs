using Recur.Training;

namespace Recur.Tasks;

/// <summary>
/// The adding problem (Hochreiter &amp; Schmidhuber 1997, in the form of Le, Jaitly &amp; Hinton 2015 and Arjovsky
/// et al. 2016): T steps of two channels, a value ~ U[0, 1] and a marker that is 1 at exactly two positions
/// (one uniform in [0, T/2), one in [T/2, T)) and 0 elsewhere. The target, read at the last step, is the sum of
/// the two marked values. Predicting the constant 1 (the mean of the sum) scores MSE = Var = 2/12 ≈ 0.167.
/// Solved: held-out MSE &lt; 0.01.
/// </summary>
public sealed class AddingProblem : SyntheticTask
{
    public const double SolvedMse = 0.01;

    public AddingProblem(int length)
    {
        if (length < 2) throw new ArgumentException($"the adding problem needs length ≥ 2, got {length}");
        Delay = length;
    }

    public override string Name => "adding";
    public override int Delay { get; }
    public override int Steps => Delay;
    public override int InputSize => 2;
    public override int OutputSize => 1;
    public override bool IsClassification => false;
    /// <summary>Var(U₁ + U₂) = 2 · 1/12.</summary>
    public override double BaselineLoss => 2.0 / 12.0;
    public override string MetricName => "mse";
    public override string SolvedCriterion => $"held-out MSE < {SolvedMse}";

    // x [T, B, 2]: channel 0 the value, channel 1 the marker; target [B] at the last step.
    public override SyntheticBatch Generate(int batch, Rng rng)
    {
        int T = Steps, half = T / 2;
        var x = new float[T * batch * 2];
        var y = new float[batch];
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < T; t++) x[(t * batch + b) * 2] = rng.NextFloat();
            int first = rng.NextInt(half), second = half + rng.NextInt(T - half);
            x[(first * batch + b) * 2 + 1] = 1f;
            x[(second * batch + b) * 2 + 1] = 1f;
            y[b] = x[(first * batch + b) * 2] + x[(second * batch + b) * 2];
        }
        return new SyntheticBatch(x, T, batch, T - 1, null, y);
    }

    public override double Metric(ReadOnlySpan<float> outputs, SyntheticBatch batch, double loss) => loss;

    public override bool IsSolved(double metric) => metric < SolvedMse;
}
