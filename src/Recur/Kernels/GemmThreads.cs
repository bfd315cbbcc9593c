using System.Diagnostics;
using System.Numerics;

namespace Recur.Kernels;

/// <summary>
/// Persistent GEMM workers. The calling thread and the woken workers take tiles of C from a shared counter; workers
/// that spin for <see cref="SpinMicroseconds"/> after their last job (a recurrent layer calls GEMM
/// every ~0.1–1 ms, so they are usually still spinning: wake-up costs well under a microsecond), and
/// then block on a semaphore. One caller at a time owns the workers; a concurrent caller runs its
/// whole GEMM on its own thread instead of waiting.
/// </summary>
internal static class GemmThreadPool
{
    internal const int SpinMicroseconds = 200;
    private static readonly long SpinTicks = Stopwatch.Frequency * SpinMicroseconds / 1_000_000;

    private static int s_busy;
    private static Worker[] s_workers = [];
    private static IPart? s_job;
    private static int s_remaining;
    private static Exception? s_error;

    internal interface IPart { void Execute(); }

    private sealed class GemmParts<T> : IPart where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static readonly GemmParts<T> Shared = new();
        public GemmArgs<T> Args;
        public void Execute() => Gemm.RunTiles(ref Args);
    }

    /// <summary>Computes all GridM×GridN tiles of <paramref name="args"/> on args.Threads threads.</summary>
    public static void Run<T>(ref GemmArgs<T> args) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int parts = args.Threads;
        args.NextTile = 0;
        if (Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            Gemm.RunTiles(ref args);    // workers taken by another caller: do all tiles here
            return;
        }
        var job = GemmParts<T>.Shared;
        try
        {
            job.Args = args;
            Dispatch(job, parts);
        }
        finally
        {
            job.Args = default;
            Volatile.Write(ref s_busy, 0);
        }
    }

    private static void Dispatch(IPart job, int parts)
    {
        var workers = s_workers;
        if (workers.Length < parts - 1) workers = s_workers = Grow(workers, parts - 1);
        s_job = job;
        s_error = null;
        Volatile.Write(ref s_remaining, parts - 1);
        for (int w = 0; w < parts - 1; w++) workers[w].Wake();
        job.Execute();
        var spin = new SpinWait();
        while (Volatile.Read(ref s_remaining) != 0) spin.SpinOnce(sleep1Threshold: -1);
        s_job = null;
        if (s_error is { } e) throw new AggregateException("GEMM worker failed", e);
    }

    private static Worker[] Grow(Worker[] old, int count)
    {
        var grown = new Worker[count];
        Array.Copy(old, grown, old.Length);
        for (int i = old.Length; i < count; i++) grown[i] = new Worker(i + 1);
        return grown;
    }

    private sealed class Worker
    {
        private int _ticket, _sleeping;
        private readonly SemaphoreSlim _wake = new(0);

        public Worker(int id)
        {
            new Thread(Loop) { IsBackground = true, Name = $"Recur GEMM {id}" }.Start();
        }

        public void Wake()
        {
            Interlocked.Increment(ref _ticket);                       // full fence: the job is visible first
            if (Interlocked.Exchange(ref _sleeping, 0) == 1) _wake.Release();
        }

        private void Loop()
        {
            int seen = 0;
            while (true)
            {
                // Spin a while, then block; the Interlocked pair with Wake() loses no wake-up.
                long deadline = Stopwatch.GetTimestamp() + SpinTicks;
                while (Volatile.Read(ref _ticket) == seen)
                {
                    if (Stopwatch.GetTimestamp() < deadline) { Thread.SpinWait(16); continue; }
                    Interlocked.Exchange(ref _sleeping, 1);
                    if (Volatile.Read(ref _ticket) != seen)
                    {
                        if (Interlocked.Exchange(ref _sleeping, 0) == 0) _wake.Wait();   // consume the Release already sent
                        break;
                    }
                    _wake.Wait();
                }
                seen = Volatile.Read(ref _ticket);
                try { s_job!.Execute(); }
                catch (Exception e) { s_error = e; }
                Interlocked.Decrement(ref s_remaining);
            }
        }
    }
}
