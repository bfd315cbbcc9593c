using CsCheck;
using Recur.Tasks;
using Recur.Training;

namespace Recur.Tests.Forecast;

/// <summary>Baselines on crafted series, AR(p) least squares, and metrics on hand-computed examples.</summary>
public class BaselineAndMetricTests
{
    [Fact]
    public void Metrics_match_hand_computation()
    {
        double[] actual = [2, 4, 5, 10], predicted = [1, 4, 7, 6];
        // errors −1, 0, 2, −4; |e| = 1, 0, 2, 4
        var s = ForecastMetrics.Score(actual, predicted, maseScale: 2);
        Assert.Equal(Math.Sqrt((1 + 0 + 4 + 16) / 4.0), s.Rmse, 12);
        Assert.Equal(7 / 4.0, s.Mae, 12);
        Assert.Equal(100 * (1 / 2.0 + 0 + 2 / 5.0 + 4 / 10.0) / 4, s.Mape, 12);
        Assert.Equal(100 * (2 * 1 / 3.0 + 0 + 2 * 2 / 12.0 + 2 * 4 / 16.0) / 4, s.Smape, 12);
        Assert.Equal(7 / 4.0 / 2, s.Mase, 12);
    }

    [Fact]
    public void Scale_free_metrics_do_not_change_with_the_unit()
    {
        Gen.Select(Gen.Double[1, 100].Array[2, 30], Gen.Double[-5, 5], Gen.Double[0.01, 1000]).Sample((actual, shift, unit) =>
        {
            var predicted = actual.Select((a, i) => a + shift * Math.Sin(i)).ToArray();
            var a1 = ForecastMetrics.Score(actual, predicted, 2);
            var a2 = ForecastMetrics.Score(actual.Select(v => v * unit).ToArray(), predicted.Select(v => v * unit).ToArray(), 2 * unit);
            Assert.Equal(a1.Rmse * unit, a2.Rmse, 1e-9 * (1 + a2.Rmse));
            Assert.Equal(a1.Mase, a2.Mase, 1e-9);
            Assert.Equal(a1.Mape, a2.Mape, 1e-9);
            Assert.Equal(a1.Smape, a2.Smape, 1e-9);
            Assert.True(a1.Mae <= a1.Rmse + 1e-12);
        });
    }

    [Fact]
    public void Mase_denominator_is_the_in_sample_seasonal_naive_error()
    {
        double[] train = [1, 2, 3, 5, 4, 8];
        Assert.Equal((1 + 1 + 2 + 1 + 4) / 5.0, ForecastMetrics.MaseScale(train, 1), 12);
        Assert.Equal((2 + 3 + 1 + 3) / 4.0, ForecastMetrics.MaseScale(train, 2), 12);
        var zero = ForecastMetrics.Score([0, 1], [0, 1], 1);
        Assert.Equal(0, zero.Mape);   // zero actuals are skipped
    }

    [Fact]
    public void Naive_baselines_on_a_crafted_series()
    {
        double[] y = [10, 20, 30, 11, 21, 31, 12, 22, 32];
        Assert.Equal(32, new Persistence().Forecast(y, 8, 1));
        Assert.Equal(32, new Persistence().Forecast(y, 8, 5));
        var sn = new SeasonalNaive(3);
        Assert.Equal(12, sn.Forecast(y, 8, 1));    // y[9 − 3]
        Assert.Equal(32, sn.Forecast(y, 8, 3));
        Assert.Equal(12, sn.Forecast(y, 8, 4));    // two seasons back from t = 12: y[6]
        Assert.Equal(32 + 2 * (32 - 10) / 8.0, new Drift().Forecast(y, 8, 2), 12);
    }

    [Fact]
    public void Season_is_detected_from_the_autocorrelation()
    {
        var rng = new Rng(3);
        double[] week = [5, 7, 8, 8, 7, 2, 1];
        var y = Enumerable.Range(0, 700).Select(i => week[i % 7] + 0.01 * i + 0.3 * rng.NextGaussian()).ToArray();
        Assert.Equal(7, SeasonDetector.Detect(y));
        var noise = Enumerable.Range(0, 500).Select(_ => rng.NextGaussian()).ToArray();
        var walk = new double[500];
        for (int i = 1; i < 500; i++) walk[i] = walk[i - 1] + noise[i];
        Assert.Null(SeasonDetector.Detect(walk));
    }

    [Fact]
    public void Ar_least_squares_recovers_the_coefficients_of_a_known_process()
    {
        // y_t = 2 + 0.6 y_{t−1} − 0.3 y_{t−2} + 0.1 y_{t−3} + ε, ε ~ N(0, 0.1²)
        var rng = new Rng(11);
        var y = new double[20000];
        for (int t = 3; t < y.Length; t++) y[t] = 2 + 0.6 * y[t - 1] - 0.3 * y[t - 2] + 0.1 * y[t - 3] + 0.1 * rng.NextGaussian();
        var ar = AutoRegression.Fit(y.AsSpan(100), 3);
        Assert.Equal(0.6, ar.Coefficients[0], 0.02);
        Assert.Equal(-0.3, ar.Coefficients[1], 0.02);
        Assert.Equal(0.1, ar.Coefficients[2], 0.02);
        Assert.Equal(2, ar.Intercept, 0.05);
        // Two steps: the one-step forecast fed back.
        double one = ar.Forecast(y, 500, 1);
        double expected = ar.Intercept + ar.Coefficients[0] * one + ar.Coefficients[1] * y[500] + ar.Coefficients[2] * y[499];
        Assert.Equal(expected, ar.Forecast(y, 500, 2), 10);
        Assert.Throws<ArgumentException>(() => AutoRegression.Fit(y.AsSpan(0, 6), 3));
    }
}
