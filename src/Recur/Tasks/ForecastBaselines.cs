using MathNet.Numerics.LinearAlgebra;

namespace Recur.Tasks;

/// <summary>A simple forecaster judged beside the network: the forecast of y at origin + steps from y[0..origin].</summary>
public interface IBaselineForecaster
{
    string Name { get; }
    /// <summary>Forecast of y[origin + steps] given y[0..origin] (inclusive); steps ≥ 1.</summary>
    double Forecast(ReadOnlySpan<double> y, int origin, int steps);
}

/// <summary>Persistence (naive): the last value.</summary>
public sealed class Persistence : IBaselineForecaster
{
    public string Name => "persistence";
    public double Forecast(ReadOnlySpan<double> y, int origin, int steps) => y[origin];
}

/// <summary>Seasonal naive with period m: the value one (or more) whole seasons back, y[t − m·⌈k/m⌉].</summary>
public sealed class SeasonalNaive(int period) : IBaselineForecaster
{
    public int Period { get; } = period >= 1 ? period : throw new ArgumentException($"season must be at least 1, got {period}");
    public string Name => $"seasonal naive ({Period})";
    public double Forecast(ReadOnlySpan<double> y, int origin, int steps)
    {
        int back = Period * ((steps + Period - 1) / Period);
        int t = origin + steps - back;
        return y[Math.Max(0, t)];
    }
}

/// <summary>Drift: the line through the first and the last value, extended: y[o] + k·(y[o] − y[0]) / o.</summary>
public sealed class Drift : IBaselineForecaster
{
    public string Name => "drift";
    public double Forecast(ReadOnlySpan<double> y, int origin, int steps) =>
        origin == 0 ? y[0] : y[origin] + steps * (y[origin] - y[0]) / origin;
}

/// <summary>
/// A linear autoregression AR(p) with intercept, y_t = c + Σ_{i=1..p} φ_i·y_{t−i}, fitted by least squares
/// (QR) on a training prefix; multi-step forecasts feed its own forecasts back (recursive).
/// </summary>
public sealed class AutoRegression : IBaselineForecaster
{
    public int Order { get; }
    public double Intercept { get; }
    /// <summary>φ_1 … φ_p (φ_1 multiplies the most recent value).</summary>
    public double[] Coefficients { get; }
    public string Name => $"AR({Order})";

    private AutoRegression(int order, double intercept, double[] coefficients)
    {
        Order = order;
        Intercept = intercept;
        Coefficients = coefficients;
    }

    /// <summary>Fits on <paramref name="train"/>; needs more rows than unknowns.</summary>
    public static AutoRegression Fit(ReadOnlySpan<double> train, int order)
    {
        if (order < 1) throw new ArgumentException($"AR order must be at least 1, got {order}");
        int rows = train.Length - order;
        if (rows <= order + 1) throw new ArgumentException($"AR({order}) needs more than {2 * order + 1} training values, got {train.Length}");
        double mean = 0;
        foreach (double v in train) mean += v;
        mean /= train.Length;
        // Centred design [rows, 1 + p]: [1, y_{t−1} − μ, …, y_{t−p} − μ] → y_t − μ (better conditioned on large values).
        var a = Matrix<double>.Build.Dense(rows, order + 1);
        var b = Vector<double>.Build.Dense(rows);
        for (int r = 0; r < rows; r++)
        {
            int t = order + r;
            a[r, 0] = 1;
            for (int i = 1; i <= order; i++) a[r, i] = train[t - i] - mean;
            b[r] = train[t] - mean;
        }
        var x = a.QR().Solve(b);
        var phi = new double[order];
        double sum = 0;
        for (int i = 0; i < order; i++) { phi[i] = x[i + 1]; sum += phi[i]; }
        // Back to raw values: y_t = μ + x0 + Σ φ_i (y_{t−i} − μ)  ⇒  c = x0 + μ(1 − Σφ).
        return new AutoRegression(order, x[0] + mean * (1 - sum), phi);
    }

    public double Forecast(ReadOnlySpan<double> y, int origin, int steps)
    {
        if (origin + 1 < Order) return y[origin];
        var hist = new double[Order + steps];   // oldest first: y[origin − p + 1 … origin], then forecasts
        for (int i = 0; i < Order; i++) hist[i] = y[origin - Order + 1 + i];
        for (int k = 0; k < steps; k++)
        {
            double v = Intercept;
            for (int i = 1; i <= Order; i++) v += Coefficients[i - 1] * hist[Order + k - i];
            hist[Order + k] = v;
        }
        return hist[^1];
    }
}

/// <summary>Finds the seasonal period of a series from the autocorrelation of its first differences.</summary>
public static class SeasonDetector
{
    /// <summary>The lag in [2, maxLag] with the highest autocorrelation among local peaks above
    /// <paramref name="threshold"/>, or null when there is none.</summary>
    public static int? Detect(ReadOnlySpan<double> train, int maxLag = 400, double threshold = 0.2)
    {
        int n = train.Length - 1;
        if (n < 8) return null;
        var d = new double[n];
        for (int i = 0; i < n; i++) d[i] = train[i + 1] - train[i];
        double mean = d.Average(), var0 = 0;
        for (int i = 0; i < n; i++) { d[i] -= mean; var0 += d[i] * d[i]; }
        if (var0 <= 0) return null;
        maxLag = Math.Min(maxLag, n / 3);
        if (maxLag < 3) return null;
        var acf = new double[maxLag + 2];
        for (int lag = 1; lag <= maxLag + 1 && lag < n; lag++)
        {
            double s = 0;
            for (int i = lag; i < n; i++) s += d[i] * d[i - lag];
            acf[lag] = s / var0;
        }
        int? best = null;
        for (int lag = 2; lag <= maxLag; lag++)
            if (acf[lag] > threshold && acf[lag] >= acf[lag - 1] && acf[lag] >= acf[lag + 1] && (best is null || acf[lag] > acf[best.Value] + 1e-9))
                best = lag;
        return best;
    }
}
