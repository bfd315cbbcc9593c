namespace Recur.Tasks;

/// <summary>Errors of a forecast on the test points. MAPE and sMAPE are in percent; MASE is the MAE divided by the
/// in-sample MAE of the seasonal naive forecast on the training part (Hyndman &amp; Koehler 2006).</summary>
public sealed record ForecastScores(double Rmse, double Mae, double Mape, double Smape, double Mase);

public static class ForecastMetrics
{
    /// <summary>Scores <paramref name="predicted"/> against <paramref name="actual"/>. MAPE skips zero actuals
    /// (NaN if all are zero); sMAPE = mean 200·|e| / (|y| + |ŷ|) (a term with y = ŷ = 0 counts 0).</summary>
    public static ForecastScores Score(ReadOnlySpan<double> actual, ReadOnlySpan<double> predicted, double maseScale)
    {
        if (actual.Length != predicted.Length) throw new ArgumentException($"metrics: {actual.Length} actual values, {predicted.Length} predicted");
        if (actual.IsEmpty) throw new ArgumentException("metrics: no points");
        double se = 0, ae = 0, ape = 0, sape = 0;
        int apeCount = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double e = predicted[i] - actual[i], a = Math.Abs(e);
            se += e * e;
            ae += a;
            if (actual[i] != 0) { ape += a / Math.Abs(actual[i]); apeCount++; }
            double denom = Math.Abs(actual[i]) + Math.Abs(predicted[i]);
            if (denom > 0) sape += 2 * a / denom;
        }
        int n = actual.Length;
        double mae = ae / n;
        return new ForecastScores(Math.Sqrt(se / n), mae, apeCount > 0 ? 100 * ape / apeCount : double.NaN, 100 * sape / n,
            maseScale > 0 ? mae / maseScale : double.NaN);
    }

    /// <summary>MASE's denominator: mean |y_t − y_{t−m}| over the training part (m = 1 without a season).</summary>
    public static double MaseScale(ReadOnlySpan<double> train, int season)
    {
        if (season < 1) throw new ArgumentException($"season must be at least 1, got {season}");
        if (train.Length <= season) throw new ArgumentException($"MASE: {train.Length} training values are too few for season {season}");
        double s = 0;
        for (int t = season; t < train.Length; t++) s += Math.Abs(train[t] - train[t - season]);
        return s / (train.Length - season);
    }
}
