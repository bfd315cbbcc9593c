namespace Recur.Data;

public enum ScaleKind { None, MinMax, Standard }

/// <summary>
/// An affine scaling x' = (x − Offset) / Scale, fitted on the training part only: min-max to [0, 1]
/// (Offset = min, Scale = max − min), standard (mean, standard deviation) or none (0, 1).
/// </summary>
public sealed record Scaler(ScaleKind Kind, double Offset, double Scale)
{
    public static readonly Scaler Identity = new(ScaleKind.None, 0, 1);

    public static ScaleKind ParseKind(string name) => name.Trim().ToLowerInvariant() switch
    {
        "none" => ScaleKind.None,
        "minmax" or "min-max" => ScaleKind.MinMax,
        "standard" or "zscore" => ScaleKind.Standard,
        _ => throw new ArgumentException($"unknown scaling '{name}' (known: minmax, standard, none)"),
    };

    public static string Name(ScaleKind kind) => kind switch { ScaleKind.MinMax => "minmax", ScaleKind.Standard => "standard", _ => "none" };

    /// <summary>Fits on <paramref name="train"/>; a constant series gets scale 1 (no division by zero).</summary>
    public static Scaler Fit(ScaleKind kind, ReadOnlySpan<double> train)
    {
        if (kind == ScaleKind.None) return Identity;
        if (train.IsEmpty) throw new ArgumentException("scaler: no training values to fit on");
        double offset, scale;
        if (kind == ScaleKind.MinMax)
        {
            double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
            foreach (double v in train) { lo = Math.Min(lo, v); hi = Math.Max(hi, v); }
            (offset, scale) = (lo, hi - lo);
        }
        else
        {
            double mean = 0;
            foreach (double v in train) mean += v;
            mean /= train.Length;
            double ss = 0;
            foreach (double v in train) ss += (v - mean) * (v - mean);
            (offset, scale) = (mean, Math.Sqrt(ss / train.Length));
        }
        return new Scaler(kind, offset, scale > 1e-12 ? scale : 1);
    }

    public double Transform(double x) => (x - Offset) / Scale;
    public double Inverse(double x) => x * Scale + Offset;
    /// <summary>Inverse for a difference of scaled values (no offset).</summary>
    public double InverseDelta(double dx) => dx * Scale;
}
