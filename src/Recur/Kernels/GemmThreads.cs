using System.Diagnostics;
using System.Numerics;

namespace Recur.Kernels;

/// <summary>
/// Persistent GEMM workers. A call splits C into tiles; the calling thread and the woken workers claim
/// tiles from one counter until none is left, and the caller returns when every claimed tile is done.
/// A worker that wakes late (its core busy with another process) finds nothing left to claim and costs
/// the caller nothing. Workers spin for <see cref="SpinMicroseconds"/> after their last job (a recurrent
/// layer calls GEMM every ~0.1–1 ms, so they usually are still spinning), then block on a semaphore.
/// One caller at a time owns the workers; a concurrent caller does all its tiles on its own thread.
/// </summary>
internal static class GemmThreadPool
{
    internal const int SpinMicroseconds = 200;
    private static readonly long SpinTicks = Stopwatch.Frequency * SpinMicroseconds / 1_000_000;

    private static int s_busy;
    private static Worker[] s_workers = [];
    private static ITiles? s_job;
    private static int s_tiles, s_done, s_gen;
    private static long s_claim;          // (generation << 32) | next unclaimed tile
    private static Exception? s_error;

    internal interface ITiles { void Run(int tile); }

    /// <summary>True while a caller owns the workers (a call made now would run on its own thread).</summary>
    public static bool Busy => Volatile.Read(ref s_busy) != 0;

    /// <summary>A job split into parts with a home thread each: part p runs on thread p (caller 0, worker p) when
    /// that thread is ready, so a memory-bound job repeated every step (a matrix-vector product, a GEMM with
    /// a pre-packed B) keeps its slice in that core's cache. A part whose thread has not claimed it by the
    /// time the caller is done with its own is taken by the caller: a busy core never stalls the call.</summary>
    internal interface IParts { void RunPart(int part); }

    private static IParts? s_parts;
    private static long s_partClaims;               // (generation << 32) | bit p set once part p is claimed
    [ThreadStatic] private static int t_workerId;   // 0 on calling threads, p on worker p

    /// <summary>
    /// Runs <paramref name="job"/>'s parts 0..parts−1 (see <see cref="IParts"/>). Returns false, having run
    /// nothing, when the workers are taken by another caller (the caller then runs the work itself).
    /// </summary>
    public static bool TryRunParts(IParts job, int parts)
    {
        if (parts < 2 || parts > 31 || Interlocked.CompareExchange(ref s_busy, 1, 0) != 0) return false;
        try
        {
            var workers = s_workers;
            if (workers.Length < parts - 1) workers = s_workers = Grow(workers, parts - 1);
            int gen = ++s_gen;
            // No tile to claim in this generation, and closed before any other field changes (see CloseClaims).
            CloseClaims(gen);
            s_job = null;
            s_tiles = parts;
            s_error = null;
            Volatile.Write(ref s_done, 0);
            Volatile.Write(ref s_parts, job);
            // Bits of parts that do not exist start claimed: a worker whose id is ≥ parts (the pool grew for a
            // larger job earlier) must not claim "its" part, which would run nothing and still count as done.
            long absent = 0xFFFF_FFFFL & ~((1L << parts) - 1);
            Interlocked.Exchange(ref s_partClaims, ((long)gen << 32) | absent);
            for (int w = 0; w < parts - 1; w++) workers[w].Wake();
            for (int p = 0; p < parts; p++) TryClaimAndRun(job, p);   // own part first, then any not yet claimed
            WaitDone(parts);
            Volatile.Write(ref s_parts, null);
            if (s_error is { } err) throw new AggregateException("GEMM worker failed", err);
            return true;
        }
        finally { Volatile.Write(ref s_busy, 0); }
    }

    /// <summary>Claims part <paramref name="part"/> of the current generation and runs it; false if already claimed.</summary>
    private static bool TryClaimAndRun(IParts job, int part)
    {
        long bit = 1L << part;
        long word = Volatile.Read(ref s_partClaims);
        if ((word & bit) != 0 || Interlocked.CompareExchange(ref s_partClaims, word | bit, word) != word)
        {
            // Lost a race: retry only while the bit is still free in the same generation.
            while (true)
            {
                long w = Volatile.Read(ref s_partClaims);
                if ((w >> 32) != (word >> 32) || (w & bit) != 0) return false;
                if (Interlocked.CompareExchange(ref s_partClaims, w | bit, w) == w) break;
            }
        }
        try { job.RunPart(part); }
        catch (Exception e) { s_error = e; }
        Interlocked.Increment(ref s_done);
        return true;
    }

    /// <summary>On a worker: claims and runs its home part of the current parts job, if still unclaimed.</summary>
    private static void RunOwnPart()
    {
        long word = Volatile.Read(ref s_partClaims);
        var job = Volatile.Read(ref s_parts);
        int part = t_workerId;
        long bit = 1L << part;
        if (job is null || part >= 31 || (word & bit) != 0) return;
        // The CAS succeeds only if the generation (and so the job read after it) is still current.
        if (Interlocked.CompareExchange(ref s_partClaims, word | bit, word) != word) return;
        try { job.RunPart(part); }
        catch (Exception e) { s_error = e; }
        Interlocked.Increment(ref s_done);
    }

    private sealed class GemmTiles<T> : ITiles where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static readonly GemmTiles<T> Shared = new();
        public GemmArgs<T> Args;
        public void Run(int tile) => Gemm.RunTile(ref Args, tile);
    }

    private sealed class GemmParts<T> : IParts where T : unmanaged, IFloatingPointIeee754<T>
    {
        [ThreadStatic] private static GemmParts<T>? t_shared;
        public static GemmParts<T> Shared => t_shared ??= new GemmParts<T>();
        public GemmArgs<T> Args;
        public void RunPart(int part) => Gemm.RunTile(ref Args, part);
    }

    /// <summary>
    /// One tile per thread, tile p always on thread p: for a pre-packed B multiplied every time step, each core
    /// then reads the same columns of B̃ every step and keeps them in its own L2 cache.
    /// </summary>
    public static void RunFixed<T>(ref GemmArgs<T> args) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int tiles = args.GridM * args.GridN;
        var job = GemmParts<T>.Shared;   // per calling thread: never shared between concurrent callers
        job.Args = args;
        try
        {
            if (!TryRunParts(job, tiles))
                for (int t = 0; t < tiles; t++) Gemm.RunTile(ref args, t);   // workers taken: all tiles here
        }
        finally { job.Args = default; }
    }

    /// <summary>Computes all GridM×GridN tiles of <paramref name="args"/> on up to args.Threads threads.</summary>
    public static void Run<T>(ref GemmArgs<T> args) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int tiles = args.GridM * args.GridN;
        if (Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            for (int t = 0; t < tiles; t++) Gemm.RunTile(ref args, t);   // workers taken: all tiles here
            return;
        }
        var job = GemmTiles<T>.Shared;
        try
        {
            job.Args = args;
            Dispatch(job, tiles, args.Threads);
        }
        finally
        {
            job.Args = default;
            Volatile.Write(ref s_busy, 0);
        }
    }

    private static void Dispatch(ITiles job, int tiles, int threads)
    {
        var workers = s_workers;
        if (workers.Length < threads - 1) workers = s_workers = Grow(workers, threads - 1);
        int gen = ++s_gen;
        CloseClaims(gen);
        s_job = job;
        s_tiles = tiles;
        s_error = null;
        Volatile.Write(ref s_done, 0);
        Interlocked.Exchange(ref s_claim, (long)gen << 32);     // opens the tiles (full fence: fields first)
        for (int w = 0; w < threads - 1; w++) workers[w].Wake();
        Work();
        WaitDone(tiles);
        if (s_error is { } e) throw new AggregateException("GEMM worker failed", e);
    }

    /// <summary>
    /// Moves the tile counter to generation <paramref name="gen"/> with nothing to claim, before the caller rewrites
    /// the job, tile count and done count. A worker still in <see cref="Work"/> for the previous generation holds a
    /// stale counter value: its compare-exchange now fails and it sees a new generation. Opening the counter last
    /// (as before) left a window in which that compare-exchange succeeded against the new job's fields: the worker
    /// ran a tile of the new job that was claimed again after the opening, and the done count overshot.
    /// </summary>
    private static void CloseClaims(int gen) => Interlocked.Exchange(ref s_claim, ((long)gen << 32) | int.MaxValue);

    /// <summary>Waits until <paramref name="count"/> tiles or parts are done; more than that is a scheduling bug,
    /// reported rather than waited on for ever.</summary>
    private static void WaitDone(int count)
    {
        var spin = new SpinWait();
        while (Volatile.Read(ref s_done) < count) spin.SpinOnce(sleep1Threshold: -1);
        if (Volatile.Read(ref s_done) != count)
            throw new InvalidOperationException($"GEMM threads: {Volatile.Read(ref s_done)} parts done of {count}");
    }

    /// <summary>Claims and runs tiles of the current job until none is left.</summary>
    private static void Work()
    {
        long first = Volatile.Read(ref s_claim);
        int gen = (int)(first >> 32);
        while (true)
        {
            long c = Volatile.Read(ref s_claim);
            if ((int)(c >> 32) != gen) return;
            int tile = (int)c;
            if (tile >= Volatile.Read(ref s_tiles)) return;
            if (Interlocked.CompareExchange(ref s_claim, c + 1, c) != c) continue;
            // Tile claimed: this job cannot finish (nor its fields change) before it is done.
            try { s_job!.Run(tile); }
            catch (Exception e) { s_error = e; }
            Interlocked.Increment(ref s_done);
        }
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

        private readonly int _id;

        public Worker(int id)
        {
            _id = id;
            new Thread(Loop) { IsBackground = true, Name = $"Recur GEMM {id}" }.Start();
        }

        public void Wake()
        {
            Interlocked.Increment(ref _ticket);
            if (Interlocked.Exchange(ref _sleeping, 0) == 1) _wake.Release();
        }

        private void Loop()
        {
            t_workerId = _id;
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
                Work();
                RunOwnPart();
            }
        }
    }
}
