namespace Recur.Bench;

/// <summary>
/// The round trip of one cache line between two threads, each writing it in turn while the other waits to see the
/// write: what one hand-off between cores costs. On this project's 2-vCPU hosts it measured 65–90 ns most of the
/// time and 330–350 ns in another placement of the vCPUs, for seconds to minutes at a time; in that placement the
/// two-thread figures that hand off often drop (T3 to about its one-thread speed, I1 by about a quarter), so a
/// round trip measured next to a benchmark tells which of the two it saw.
/// </summary>
public static class CoreLatency
{
    private const int RoundTripsPerSample = 20_000;

    /// <summary>Nanoseconds per round trip over <paramref name="repeat"/> samples of 20,000 round trips (after one
    /// sample of warm-up).</summary>
    public static Stats Run(int repeat)
    {
        if (Environment.ProcessorCount < 2)
            throw new InvalidOperationException($"a round trip between cores needs two cores; this process may use {Environment.ProcessorCount}");
        var line = new long[32];   // element 16 alone on its cache lines
        int total = (repeat + 1) * RoundTripsPerSample;
        // The partner answers every odd value with the next even one. Plain spins, no pause: a pause would add its
        // own latency to what is measured.
        var partner = new Thread(() =>
        {
            for (long i = 0; i < total; i++)
            {
                while (Volatile.Read(ref line[16]) != 2 * i + 1) { }
                Volatile.Write(ref line[16], 2 * i + 2);
            }
        }) { IsBackground = true, Name = "Recur round trip" };
        partner.Start();
        var samples = new List<double>();
        long next = 0;
        for (int s = 0; s <= repeat; s++)
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            for (int i = 0; i < RoundTripsPerSample; i++, next++)
            {
                Volatile.Write(ref line[16], 2 * next + 1);
                while (Volatile.Read(ref line[16]) != 2 * next + 2) { }
            }
            double ns = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalNanoseconds / RoundTripsPerSample;
            if (s > 0) samples.Add(ns);
        }
        partner.Join();
        return Stats.Of(samples);
    }
}
