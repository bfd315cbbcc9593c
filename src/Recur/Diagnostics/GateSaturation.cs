namespace Recur.Diagnostics;

/// <summary>
/// How often each gate unit of one layer is saturated over a text: the fraction of steps with the gate
/// below <see cref="Low"/> (left-saturated, "closed") and above <see cref="High"/> (right-saturated, "open"),
/// as in Karpathy, Johnson &amp; Fei-Fei (2015), Fig. 3.
/// </summary>
public sealed class GateSaturation
{
    public const float Low = 0.1f, High = 0.9f;

    private readonly long[][] _left, _right;

    public GateSaturation(IReadOnlyList<string> gateNames, int units)
    {
        GateNames = gateNames;
        Units = units;
        _left = gateNames.Select(_ => new long[units]).ToArray();
        _right = gateNames.Select(_ => new long[units]).ToArray();
    }

    /// <summary>Gate names in the order of the recording (LSTM i, f, o; GRU r, z; none for a plain RNN).</summary>
    public IReadOnlyList<string> GateNames { get; }
    public int Units { get; }
    public long Steps { get; private set; }

    /// <summary>Counts one step: <paramref name="gateValues"/> holds the activated values of each gate, unit by unit.</summary>
    public void Add(int gate, ReadOnlySpan<float> gateValues)
    {
        var left = _left[gate];
        var right = _right[gate];
        for (int u = 0; u < Units; u++)
        {
            float g = gateValues[u];
            if (g < Low) left[u]++;
            else if (g > High) right[u]++;
        }
    }

    /// <summary>Marks the end of a step (after every gate's <see cref="Add"/>).</summary>
    public void CompleteStep() => Steps++;

    /// <summary>Per unit: the fraction of steps below <see cref="Low"/>.</summary>
    public double[] LeftFraction(int gate) => Fractions(_left[gate]);

    /// <summary>Per unit: the fraction of steps above <see cref="High"/>.</summary>
    public double[] RightFraction(int gate) => Fractions(_right[gate]);

    private double[] Fractions(long[] counts) => counts.Select(n => Steps == 0 ? 0 : (double)n / Steps).ToArray();
}
