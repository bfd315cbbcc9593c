using System.Diagnostics;

namespace Recur.Bench;

/// <summary>Median and range of repeated samples.</summary>
public readonly record struct Stats(double Median, double Min, double Max)
{
    public static Stats Of(IReadOnlyList<double> samples)
    {
        if (samples.Count == 0) throw new ArgumentException("no samples");
        var s = samples.Order().ToArray();
        double median = s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
        return new Stats(median, s[0], s[^1]);
    }

    /// <summary>Maps every statistic through a decreasing function (e.g. seconds → throughput): min and max swap.</summary>
    public Stats Invert(Func<double, double> f) => new(f(Median), f(Max), f(Min));
}

/// <summary>Timing helpers: warm-up, then repeated samples, each long enough for the clock.</summary>
public static class Timing
{
    /// <summary>
    /// Seconds per call of <paramref name="action"/>: runs it <paramref name="warmup"/> times (JIT, caches,
    /// thread wake-up), picks a number of calls per sample so one sample lasts at least
    /// <paramref name="minSampleSeconds"/>, and returns median/min/max over <paramref name="repeat"/> samples.
    /// </summary>
    public static Stats SecondsPerCall(Action action, int repeat, int warmup = 2, double minSampleSeconds = 0.03, double warmupSeconds = 0.2)
        => Interleaved([action], repeat, warmup, minSampleSeconds, warmupSeconds)[0];

    /// <summary>
    /// Seconds per call of each action, sampled alternately (A B A B …) so that on a noisy, shared machine
    /// every contender sees the same minutes: compare these side by side. Warm-up as
    /// <see cref="SecondsPerCall"/>, per action.
    /// </summary>
    public static Stats[] Interleaved(IReadOnlyList<Action> actions, int repeat, int warmup = 2, double minSampleSeconds = 0.03, double warmupSeconds = 0.2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repeat, 1);
        var calls = new int[actions.Count];
        for (int a = 0; a < actions.Count; a++)
        {
            // Warm-up: at least `warmup` calls and `warmupSeconds`, so tiered JIT and caches have settled.
            var warm = Stopwatch.StartNew();
            for (int i = 0; i < warmup || warm.Elapsed.TotalSeconds < warmupSeconds; i++) actions[a]();
            var sw = Stopwatch.StartNew();
            actions[a]();
            double once = Math.Max(sw.Elapsed.TotalSeconds, 1e-7);
            calls[a] = (int)Math.Clamp(Math.Ceiling(minSampleSeconds / once), 1, 1_000_000);
        }
        var samples = new double[actions.Count][];
        for (int a = 0; a < actions.Count; a++) samples[a] = new double[repeat];
        for (int r = 0; r < repeat; r++)
            for (int a = 0; a < actions.Count; a++)
            {
                long t0 = Stopwatch.GetTimestamp();
                for (int i = 0; i < calls[a]; i++) actions[a]();
                samples[a][r] = Stopwatch.GetElapsedTime(t0).TotalSeconds / calls[a];
            }
        return [.. samples.Select(Stats.Of)];
    }
}
