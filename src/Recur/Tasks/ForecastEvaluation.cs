using Recur.Data;
using Recur.Training;

namespace Recur.Tasks;

/// <summary>What the test is: steps ahead, season (null: detect), AR order, interval level and Monte-Carlo samples.</summary>
public sealed record EvaluationSettings
{
    public int Horizon { get; init; } = 1;
    public int? Season { get; init; }
    public int ArOrder { get; init; } = 60;
    /// <summary>Nominal coverage of the prediction interval.</summary>
    public double Level { get; init; } = 0.9;
    public int McSamples { get; init; } = 100;
    public ulong Seed { get; init; } = 1;
}

/// <summary>One forecaster's scores on the test points, and its RMSE at each step ahead <c>[H]</c>.</summary>
public sealed record ScoredForecaster(string Name, ForecastScores Scores, double[] RmseByStep);

/// <summary>
/// The test, judged honestly: every forecaster (the model and each baseline) forecasts the same (origin, step)
/// pairs of the test range; scores are over all of them. The series at step 1 (for plots): times, actual values,
/// the model's forecast with its interval, and the best baseline.
/// </summary>
public sealed record ForecastReport(
    int Horizon,
    int TestPoints,
    int? Season,
    bool SeasonDetected,
    IReadOnlyList<ScoredForecaster> Results,
    double Level,
    double Coverage,
    double MeanIntervalWidth,
    double[] ResidualSigma,
    int[] Times,
    double[] Actual,
    double[] Model,
    double[] Lower,
    double[] Upper,
    string BestBaseline,
    double[] BestBaselineForecast)
{
    public ScoredForecaster ModelResult => Results[0];
    public IEnumerable<ScoredForecaster> Baselines => Results.Skip(1);
    /// <summary>Baselines whose RMSE the model did not beat.</summary>
    public IEnumerable<ScoredForecaster> NotBeaten => Baselines.Where(b => !(ModelResult.Scores.Rmse < b.Scores.Rmse));
}

public static class ForecastEvaluation
{
    /// <summary>The baselines fitted on y[0..<paramref name="trainEnd"/>): persistence, seasonal naive (if a season),
    /// drift, AR(p).</summary>
    public static List<IBaselineForecaster> Baselines(ReadOnlySpan<double> y, int trainEnd, int? season, int arOrder)
    {
        var list = new List<IBaselineForecaster> { new Persistence() };
        if (season is { } m && m > 1) list.Add(new SeasonalNaive(m));
        list.Add(new Drift());
        list.Add(AutoRegression.Fit(y[..trainEnd], arOrder));
        return list;
    }

    /// <summary>Root-mean-square validation error of the model's point forecasts per step ahead <c>[H]</c>.</summary>
    public static double[] ResidualSigma(ForecastModel model, ForecastFrame frame, int horizon)
    {
        var taus = frame.ValTargets.Where(t => t + horizon <= frame.TestStart).ToArray();
        if (taus.Length == 0) taus = frame.TrainTargets.Where(t => t + horizon <= frame.ValStart).TakeLast(200).ToArray();
        var sigma = new double[horizon];
        if (taus.Length == 0) return sigma;
        var f = new ForecastPredictor(model, frame).Forecast(taus, horizon);
        for (int h = 0; h < horizon; h++)
        {
            double s = 0;
            for (int i = 0; i < taus.Length; i++) { double e = f[i, h] - frame.Y[taus[i] + h]; s += e * e; }
            sigma[h] = Math.Sqrt(s / taus.Length);
        }
        return sigma;
    }

    public static ForecastReport Run(ForecastModel model, ForecastFrame frame, EvaluationSettings settings)
    {
        int horizon = settings.Horizon;
        var y = frame.Y;
        // Forecast origins o = τ − 1 whose steps τ … τ+H−1 all fall in the test range.
        var taus = Enumerable.Range(frame.TestStart, Math.Max(0, frame.Count - horizon + 1 - frame.TestStart))
            .Where(t => t - frame.Settings.Window >= frame.First).ToArray();
        if (taus.Length == 0) throw new ArgumentException($"no test points: the test range is shorter than the horizon {horizon}");
        int? season = settings.Season;
        bool detected = false;
        if (season is null)
        {
            season = SeasonDetector.Detect(y.AsSpan(0, frame.TestStart));
            detected = season is not null;
        }
        double maseScale = ForecastMetrics.MaseScale(y.AsSpan(0, frame.TestStart), season ?? 1);

        var predictor = new ForecastPredictor(model, frame);
        var point = predictor.Forecast(taus, horizon);
        var sigma = ResidualSigma(model, frame, horizon);
        int samples = model.Config.Dropout > 0 ? settings.McSamples : 0;
        var mcVar = new double[taus.Length, horizon];
        if (samples > 1)
        {
            var mc = predictor.MonteCarlo(taus, horizon, samples, new Rng(settings.Seed ^ 0x9E3779B97F4A7C15UL));
            for (int i = 0; i < taus.Length; i++)
                for (int h = 0; h < horizon; h++)
                {
                    double mean = 0, ss = 0;
                    for (int s = 0; s < samples; s++) mean += mc[s][i, h];
                    mean /= samples;
                    for (int s = 0; s < samples; s++) ss += (mc[s][i, h] - mean) * (mc[s][i, h] - mean);
                    mcVar[i, h] = ss / (samples - 1);
                }
        }
        double z = NormalQuantile(0.5 + settings.Level / 2);

        int pairs = taus.Length * horizon;
        var actual = new double[pairs];
        var modelF = new double[pairs];
        var baselines = Baselines(y, frame.TestStart, season, settings.ArOrder);
        var baseF = baselines.Select(_ => new double[pairs]).ToArray();
        int inside = 0;
        double width = 0;
        var lower = new double[taus.Length];
        var upper = new double[taus.Length];
        for (int i = 0; i < taus.Length; i++)
            for (int h = 0; h < horizon; h++)
            {
                int k = i * horizon + h, t = taus[i] + h, origin = taus[i] - 1;
                actual[k] = y[t];
                modelF[k] = point[i, h];
                for (int b = 0; b < baselines.Count; b++) baseF[b][k] = baselines[b].Forecast(y, origin, h + 1);
                double half = z * Math.Sqrt(mcVar[i, h] + sigma[h] * sigma[h]);
                if (Math.Abs(y[t] - point[i, h]) <= half) inside++;
                width += 2 * half;
                if (h == 0) { lower[i] = point[i, 0] - half; upper[i] = point[i, 0] + half; }
            }
        var results = new List<ScoredForecaster>
        {
            new($"{model.Config.Cell.ToUpperInvariant()} model", ForecastMetrics.Score(actual, modelF, maseScale), ByStep(actual, modelF, horizon)),
        };
        for (int b = 0; b < baselines.Count; b++)
            results.Add(new ScoredForecaster(baselines[b].Name, ForecastMetrics.Score(actual, baseF[b], maseScale), ByStep(actual, baseF[b], horizon)));
        int best = 1 + Enumerable.Range(0, baselines.Count).MinBy(b => results[b + 1].Scores.Rmse);

        var step1 = Enumerable.Range(0, taus.Length).Select(i => i * horizon).ToArray();
        return new ForecastReport(horizon, taus.Length, season, detected, results, settings.Level, (double)inside / pairs, width / pairs, sigma,
            taus, step1.Select(k => actual[k]).ToArray(), step1.Select(k => modelF[k]).ToArray(), lower, upper,
            results[best].Name, step1.Select(k => baseF[best - 1][k]).ToArray());
    }

    // RMSE per step ahead over pairs laid out [origins, H].
    private static double[] ByStep(double[] actual, double[] forecast, int horizon)
    {
        var r = new double[horizon];
        int origins = actual.Length / horizon;
        for (int h = 0; h < horizon; h++)
        {
            double s = 0;
            for (int i = 0; i < origins; i++) { double e = forecast[i * horizon + h] - actual[i * horizon + h]; s += e * e; }
            r[h] = Math.Sqrt(s / origins);
        }
        return r;
    }

    /// <summary>Φ⁻¹(p), the standard normal quantile (MathNet).</summary>
    public static double NormalQuantile(double p) => MathNet.Numerics.Distributions.Normal.InvCDF(0, 1, p);
}
