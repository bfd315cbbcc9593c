namespace Recur.Data;

/// <summary>How a series becomes network inputs: window length, horizon, differencing, scaling, calendar inputs, split sizes.</summary>
public sealed record FrameSettings
{
    public int Window { get; init; } = 60;
    /// <summary>Outputs per sample (direct multi-step); 1 for one-step and recursive models.</summary>
    public int Horizon { get; init; } = 1;
    public bool Difference { get; init; }
    public ScaleKind Scale { get; init; } = ScaleKind.MinMax;
    public bool Calendar { get; init; }
    /// <summary>Target points at the end held out for the test (0: 10% of the rows).</summary>
    public int TestSize { get; init; }
    /// <summary>Fraction of the remaining target points, at the end of them, used for validation.</summary>
    public double ValFraction { get; init; } = 0.1;

    public void Validate()
    {
        if (Window < 1) throw new ArgumentException($"window must be at least 1, got {Window}");
        if (Horizon < 1) throw new ArgumentException($"horizon must be at least 1, got {Horizon}");
        if (TestSize < 0) throw new ArgumentException($"test size must be ≥ 0, got {TestSize}");
        if (!(ValFraction >= 0 && ValFraction < 1)) throw new ArgumentException($"validation fraction must be in [0, 1), got {ValFraction}");
    }
}

/// <summary>
/// A series prepared for a recurrent forecaster. With z_t = y_t (or y_t − y_{t−1} with differencing), the input
/// row of time t is <c>[F]</c> = [scaled z_t, scaled features_t…, calendar of the date of t+1 (known ahead)…].
/// A sample with first target time τ reads rows τ−W … τ−1 as a time-major window and targets scaled
/// z_τ … z_{τ+H−1}. The split is chronological: train targets, then validation targets, then the last
/// <see cref="FrameSettings.TestSize"/> targets; scalers are fitted on the training part only.
/// </summary>
public sealed class ForecastFrame
{
    private readonly float[] _rows;   // [N, F]
    private readonly double[] _z;     // [N] scaled z (NaN where undefined: t < First)
    private readonly DateStep? _step;

    public SeriesTable Table { get; }
    public FrameSettings Settings { get; }
    public Scaler TargetScaler { get; }
    public IReadOnlyList<Scaler> FeatureScalers { get; }
    public int InputSize { get; }
    /// <summary>First time with a defined z (1 with differencing, else 0).</summary>
    public int First { get; }
    public int ValStart { get; }
    public int TestStart { get; }
    public int Count => Table.Count;
    public double[] Y => Table.Target;

    /// <summary>First target times τ of the training, validation and test samples.</summary>
    public int[] TrainTargets { get; }
    public int[] ValTargets { get; }
    public int[] TestTargets { get; }

    /// <summary>Splits <paramref name="table"/> and fits the scalers on its training part.</summary>
    public ForecastFrame(SeriesTable table, FrameSettings settings) : this(table, settings, null, null) { }

    /// <summary>With given scalers (a trained model's): no split, every row is "before the test".</summary>
    public ForecastFrame(SeriesTable table, FrameSettings settings, Scaler? targetScaler, IReadOnlyList<Scaler>? featureScalers)
    {
        ArgumentNullException.ThrowIfNull(table);
        settings.Validate();
        if (settings.Calendar && table.Dates is null) throw new ArgumentException("calendar inputs need dates (--date or --date-parts)");
        Table = table;
        Settings = settings;
        int n = table.Count, w = settings.Window, h = settings.Horizon;
        First = settings.Difference ? 1 : 0;
        bool fitted = targetScaler is null;
        if (fitted)
        {
            int test = settings.TestSize > 0 ? settings.TestSize : Math.Max(1, n / 10);
            TestStart = n - test;
            int beforeTest = TestStart - First - w;
            if (beforeTest < 2 + 2 * h)
                throw new ArgumentException($"{n} rows are too few for a window of {w}, horizon {h} and {test} test points");
            ValStart = TestStart - (int)Math.Round(settings.ValFraction * beforeTest);
        }
        else
        {
            if (n < First + w) throw new ArgumentException($"{n} rows are too few for a window of {w}{(settings.Difference ? " (after differencing)" : "")}");
            TestStart = ValStart = n;
        }

        var y = table.Target;
        var z = new double[n];
        z[0] = settings.Difference ? double.NaN : y[0];
        for (int t = 1; t < n; t++) z[t] = settings.Difference ? y[t] - y[t - 1] : y[t];
        TargetScaler = targetScaler ?? Scaler.Fit(settings.Scale, z.AsSpan(First, ValStart - First));
        FeatureScalers = featureScalers ?? table.Features.Select(f => Scaler.Fit(settings.Scale, f.AsSpan(First, ValStart - First))).ToArray();
        if (FeatureScalers.Count != table.Features.Count)
            throw new ArgumentException($"the model has {FeatureScalers.Count} feature columns, the data {table.Features.Count}");
        _z = new double[n];
        for (int t = 0; t < n; t++) _z[t] = t < First ? double.NaN : TargetScaler.Transform(z[t]);

        if (table.Dates is not null) _step = DateStep.Infer(table.Dates);
        InputSize = 1 + table.Features.Count + (settings.Calendar ? CalendarFeatures.Count : 0);
        _rows = new float[n * InputSize];
        for (int t = First; t < n; t++)
        {
            var exog = new double[table.Features.Count];
            for (int f = 0; f < exog.Length; f++) exog[f] = table.Features[f][t];
            WriteRow(t, _z[t], exog, _rows.AsSpan(t * InputSize, InputSize));
        }

        int trainFrom = First + w;
        TrainTargets = Range(trainFrom, ValStart - h);
        ValTargets = Range(Math.Max(ValStart, trainFrom), TestStart - h);
        TestTargets = Range(Math.Max(TestStart, trainFrom), n - h);
        if (fitted && TrainTargets.Length == 0) throw new ArgumentException("no training samples: the series is too short for this window and split");
    }

    private static int[] Range(int from, int toInclusive) =>
        toInclusive < from ? [] : Enumerable.Range(from, toInclusive - from + 1).ToArray();

    /// <summary>The date of time <paramref name="t"/>, extended past the end by the series' spacing.</summary>
    public DateOnly DateAt(int t)
    {
        var dates = Table.Dates ?? throw new InvalidOperationException("the series has no dates");
        if (t < dates.Length) return dates[t];
        var d = dates[^1];
        for (int k = dates.Length - 1; k < t; k++) d = _step!.Next(d);
        return d;
    }

    /// <summary>Scaled z_t (NaN for t &lt; <see cref="First"/>).</summary>
    public double ScaledZ(int t) => _z[t];

    /// <summary>Row <c>[F]</c> of time t from a scaled z value and raw feature values.</summary>
    public void WriteRow(int t, double scaledZ, ReadOnlySpan<double> rawFeatures, Span<float> row)
    {
        row[0] = (float)scaledZ;
        for (int f = 0; f < rawFeatures.Length; f++) row[1 + f] = (float)FeatureScalers[f].Transform(rawFeatures[f]);
        if (Settings.Calendar) CalendarFeatures.Compute(DateAt(t + 1), row[(1 + rawFeatures.Length)..]);
    }

    /// <summary>The stored input row of time t <c>[F]</c>.</summary>
    public ReadOnlySpan<float> Row(int t) => _rows.AsSpan(t * InputSize, InputSize);

    /// <summary>Time-major windows <c>[W, B, F]</c> for first target times <paramref name="taus"/> (B of them), and
    /// their targets <c>[B, H]</c> (scaled z) when <paramref name="targets"/> is not empty.</summary>
    public void Windows(ReadOnlySpan<int> taus, Span<float> x, Span<float> targets)
    {
        int w = Settings.Window, b = taus.Length, f = InputSize, h = Settings.Horizon;
        if (x.Length != w * b * f) throw new ArgumentException($"windows: x must hold [{w}, {b}, {f}]");
        for (int i = 0; i < b; i++)
        {
            int tau = taus[i];
            if (tau - w < First || tau > Count) throw new ArgumentOutOfRangeException(nameof(taus), $"target time {tau} has no full window");
            for (int j = 0; j < w; j++) Row(tau - w + j).CopyTo(x.Slice((j * b + i) * f, f));
            if (!targets.IsEmpty)
                for (int k = 0; k < h; k++) targets[i * h + k] = (float)_z[tau + k];
        }
    }

    /// <summary>The forecast of y at τ+k from scaled predictions of z_τ … z_{τ+k} (k = <paramref name="scaled"/>.Length − 1),
    /// with the last observed value <paramref name="lastY"/> = y_{τ−1} (used with differencing).</summary>
    public double ToValue(double lastY, ReadOnlySpan<double> scaled)
    {
        if (!Settings.Difference) return TargetScaler.Inverse(scaled[^1]);
        double y = lastY;
        foreach (double s in scaled) y += TargetScaler.Inverse(s);
        return y;
    }
}
