using System.Diagnostics;
using Recur.Reservoir;

namespace Recur.Tasks;

public enum EsnMode { OneStep, Generative }
/// <summary>Ridge (closed form), RLS (online, teacher-forced) or FORCE (RLS with the output fed back while learning).</summary>
public enum EsnReadoutKind { Ridge, Rls, Force }

/// <summary>How a series is split and predicted (see <see cref="EsnTask"/>).</summary>
public sealed record EsnTaskSettings
{
    /// <summary>Teacher-forced training steps (the washout counts within them).</summary>
    public int Train { get; init; } = 10000;
    /// <summary>Predicted steps after training.</summary>
    public int Test { get; init; } = 500;
    /// <summary>The step (1-based) whose error is reported as NRMSE at the horizon.</summary>
    public int Horizon { get; init; } = 84;
    public EsnMode Mode { get; init; } = EsnMode.Generative;
    public EsnReadoutKind Readout { get; init; } = EsnReadoutKind.Ridge;
    /// <summary>RLS and FORCE: P starts as I/δ.</summary>
    public double RlsDelta { get; init; } = 1e-4;
    /// <summary>Random-search candidates (0: none, use the options as given).</summary>
    public int Search { get; init; }
    /// <summary>Error threshold of the valid time (per-step NRMSE).</summary>
    public double ValidThreshold { get; init; } = 0.4;
}

/// <summary>What one ESN run measured.</summary>
public sealed record EsnRunResult
{
    public required EsnOptions Options { get; init; }
    public required SpectralRadiusResult RawRadius { get; init; }
    public required int Channels { get; init; }
    /// <summary>Predictions and truth over the test range, [Test, Channels], in the series' units.</summary>
    public required double[] Prediction { get; init; }
    public required double[] Truth { get; init; }
    /// <summary>|error| at the horizon step over the series' std (RMS over channels).</summary>
    public required double NrmseHorizon { get; init; }
    /// <summary>Squared normalized error at the horizon (averaged over channels): what seeds average.</summary>
    public required double SquaredErrorHorizon { get; init; }
    /// <summary>RMSE over the whole test range divided by the std.</summary>
    public required double NrmseTest { get; init; }
    /// <summary>Steps before the per-step NRMSE first exceeds the threshold.</summary>
    public required int ValidSteps { get; init; }
    public required IReadOnlyList<EsnSearchCandidate> Search { get; init; }
    public required double SecondsTrain { get; init; }
    public required double SecondsPredict { get; init; }
    public required double SecondsSearch { get; init; }
}

/// <summary>One candidate of the hyper-parameter search and its validation NRMSE.</summary>
public sealed record EsnSearchCandidate(double SpectralRadius, double Leak, double InputScaling, double Ridge, double ValidationNrmse);

/// <summary>
/// An ESN experiment on a series s_0 … s_{M−1} with C channels (row-major [M, C]):
/// input u_t = scaled s_t, target s_{t+1}; train on t = 0 … Train−1; then step once with the true s_Train
/// and predict s_{Train+1} … s_{Train+Test} one-step (teacher-forced) or generatively (closed loop).
/// <para>Scaling: every channel is standardized with the mean and std of the training range
/// (z-score); predictions are mapped back before errors are taken. NRMSE = RMSE / std of the
/// whole series (per channel, then RMS over channels).</para>
/// </summary>
public static class EsnTask
{
    public static int SamplesNeeded(EsnTaskSettings s) => s.Train + 1 + s.Test;

    public static EsnRunResult Run(ReadOnlySpan<double> series, int channels, EsnOptions options, EsnTaskSettings settings)
    {
        if (channels <= 0) throw new ArgumentException("esn: series needs at least one channel");
        if (series.Length % channels != 0) throw new ArgumentException("esn: series length is not a multiple of the channel count");
        int m = series.Length / channels;
        if (settings.Train <= options.Washout) throw new ArgumentException($"esn: --train ({settings.Train}) must exceed --washout ({options.Washout})");
        if (settings.Test < 1) throw new ArgumentException($"esn: the test range needs at least 1 step, got {settings.Test}");
        if (settings.Horizon < 1 || settings.Horizon > settings.Test) throw new ArgumentException($"esn: --horizon must be in 1..{settings.Test} (the test length), got {settings.Horizon}");
        if (m < SamplesNeeded(settings)) throw new ArgumentException($"esn: the series has {m} values, {settings.Train} training + 1 + {settings.Test} test steps need {SamplesNeeded(settings)}");

        var (mean, std) = Moments(series, channels, 0, settings.Train + 1);
        var (_, stdAll) = Moments(series, channels, 0, m);
        for (int c = 0; c < channels; c++)
            if (!(std[c] > 0)) throw new ArgumentException($"esn: channel {c} is constant over the training range");
        var scaled = new double[m * channels];
        for (int t = 0; t < m; t++)
            for (int c = 0; c < channels; c++) scaled[t * channels + c] = (series[t * channels + c] - mean[c]) / std[c];

        var sw = Stopwatch.StartNew();
        var search = new List<EsnSearchCandidate>();
        if (settings.Search > 0) options = Search(scaled, channels, options, settings, search);
        double searchSeconds = sw.Elapsed.TotalSeconds;

        sw.Restart();
        var esn = new EchoStateNetwork(channels, channels, options);
        var input = scaled.AsSpan(0, settings.Train * channels);
        var target = scaled.AsSpan(channels, settings.Train * channels);
        if (settings.Readout == EsnReadoutKind.Ridge) esn.Train(input, target, settings.Train);
        else esn.TrainRls(input, target, settings.Train, settings.RlsDelta, force: settings.Readout == EsnReadoutKind.Force);
        double trainSeconds = sw.Elapsed.TotalSeconds;

        sw.Restart();
        var pred = new double[settings.Test * channels];
        Advance(esn, scaled.AsSpan(settings.Train * channels, channels));
        var truthScaled = scaled.AsSpan((settings.Train + 1) * channels, settings.Test * channels);
        esn.Predict(pred, settings.Test, settings.Mode == EsnMode.OneStep ? truthScaled : default);
        double predictSeconds = sw.Elapsed.TotalSeconds;

        for (int t = 0; t < settings.Test; t++)
            for (int c = 0; c < channels; c++) pred[t * channels + c] = pred[t * channels + c] * std[c] + mean[c];
        var truth = series.Slice((settings.Train + 1) * channels, settings.Test * channels).ToArray();
        var perStep = PerStepNrmse(pred, truth, channels, stdAll);
        double sqH = perStep[settings.Horizon - 1] * perStep[settings.Horizon - 1];
        double sum = 0;
        foreach (var e in perStep) sum += e * e;
        int valid = 0;
        while (valid < perStep.Length && perStep[valid] <= settings.ValidThreshold) valid++;
        return new EsnRunResult
        {
            Options = options, RawRadius = esn.RawRadius, Channels = channels,
            Prediction = pred, Truth = truth,
            NrmseHorizon = Math.Sqrt(sqH), SquaredErrorHorizon = sqH,
            NrmseTest = Math.Sqrt(sum / perStep.Length), ValidSteps = valid, Search = search,
            SecondsTrain = trainSeconds, SecondsPredict = predictSeconds, SecondsSearch = searchSeconds,
        };
    }

    /// <summary>Feeds the true value s_Train (input and fed-back output) before prediction starts.</summary>
    private static void Advance(EchoStateNetwork esn, ReadOnlySpan<double> value)
    {
        esn.SetLastOutput(value);
        esn.Step(value);
    }

    /// <summary>sqrt(mean over channels of (error / std)²) for every step.</summary>
    public static double[] PerStepNrmse(ReadOnlySpan<double> pred, ReadOnlySpan<double> truth, int channels, ReadOnlySpan<double> std)
    {
        int steps = pred.Length / channels;
        var r = new double[steps];
        for (int t = 0; t < steps; t++)
        {
            double s = 0;
            for (int c = 0; c < channels; c++)
            {
                double e = (pred[t * channels + c] - truth[t * channels + c]) / std[c];
                s += e * e;
            }
            r[t] = Math.Sqrt(s / channels);
        }
        return r;
    }

    /// <summary>Per-channel mean and (population) std over rows [from, from + count).</summary>
    public static (double[] Mean, double[] Std) Moments(ReadOnlySpan<double> series, int channels, int from, int count)
    {
        var mean = new double[channels];
        var std = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            double s = 0;
            for (int t = from; t < from + count; t++) s += series[t * channels + c];
            double mu = s / count, v = 0;
            for (int t = from; t < from + count; t++) { double d = series[t * channels + c] - mu; v += d * d; }
            mean[c] = mu; std[c] = Math.Sqrt(v / count);
        }
        return (mean, std);
    }

    /// <summary>
    /// Random search over spectral radius, leak rate, input scaling and ridge (log-uniform around the
    /// given options), each candidate trained on the first 80 % of the training range and scored on the
    /// rest: generative mode by free runs of <c>Horizon</c> steps from several teacher-forced starting points,
    /// one-step mode by one-step prediction. The given options are candidate 0. Returns the best.
    /// </summary>
    private static EsnOptions Search(double[] scaled, int channels, EsnOptions start, EsnTaskSettings settings, List<EsnSearchCandidate> log)
    {
        int fit = (int)(settings.Train * 0.8);
        int val = settings.Train - fit;
        if (fit <= start.Washout || val < 2) throw new ArgumentException($"esn: --search needs a training range well above the washout, got {settings.Train}");
        var rng = new Random(unchecked(start.Seed * 31 + 7));
        EsnOptions best = start;
        double bestScore = double.PositiveInfinity;
        for (int k = 0; k < settings.Search; k++)
        {
            var cand = k == 0 ? start : start with
            {
                SpectralRadius = start.SpectralRadius * Math.Exp(rng.NextDouble() * 1.2 - 0.6),
                Leak = Math.Min(1, start.Leak * Math.Exp(rng.NextDouble() * 2.0 - 1.0)),
                InputScaling = start.InputScaling * Math.Exp(rng.NextDouble() * 3.0 - 1.5),
                Ridge = start.Ridge * Math.Pow(10, rng.NextDouble() * 6 - 3),
            };
            double score = Validate(scaled, channels, cand, settings, fit, val);
            log.Add(new EsnSearchCandidate(cand.SpectralRadius, cand.Leak, cand.InputScaling, cand.Ridge, score));
            if (score < bestScore) { bestScore = score; best = cand; }
        }
        return best;
    }

    private static double Validate(double[] scaled, int channels, EsnOptions options, EsnTaskSettings settings, int fit, int val)
    {
        var esn = new EchoStateNetwork(channels, channels, options);
        esn.Train(scaled.AsSpan(0, fit * channels), scaled.AsSpan(channels, fit * channels), fit);
        int h = Math.Min(settings.Horizon, val - 1);
        var pred = new double[Math.Max(h, val) * channels];
        double sum = 0; long count = 0;
        if (settings.Mode == EsnMode.OneStep)
        {
            Advance(esn, scaled.AsSpan(fit * channels, channels));
            esn.Predict(pred, val - 1, scaled.AsSpan((fit + 1) * channels, (val - 1) * channels));
            for (int i = 0; i < (val - 1) * channels; i++) { double e = pred[i] - scaled[(fit + 1) * channels + i]; sum += e * e; count++; }
        }
        else
        {
            // Windows: free-run h steps from t, restore, teacher-force h steps, repeat.
            int t = fit;
            while (t + 1 + h <= fit + val)
            {
                Advance(esn, scaled.AsSpan(t * channels, channels));
                var saved = esn.SaveState();
                esn.Predict(pred, h);
                for (int i = 0; i < h * channels; i++) { double e = pred[i] - scaled[(t + 1) * channels + i]; sum += e * e; count++; }
                esn.RestoreState(saved);
                for (int j = 1; j < h && t + j + 1 + h <= fit + val; j++) Advance(esn, scaled.AsSpan((t + j) * channels, channels));
                t += h;
            }
        }
        double r = Math.Sqrt(sum / Math.Max(1, count));  // series is standardized: RMSE ≈ NRMSE
        return double.IsFinite(r) ? r : double.PositiveInfinity;
    }
}
