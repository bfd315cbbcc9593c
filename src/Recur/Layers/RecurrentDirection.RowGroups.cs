using Recur.Kernels;

namespace Recur.Layers;

internal sealed partial class RecurrentDirection
{
    /// <summary>
    /// Fewest rows per group. Below this the per-step products would leave the packed GEMM (whose result for a
    /// row does not depend on the other rows) for dot products, and the micro-kernel's 8-row panels would run
    /// half empty.
    /// </summary>
    internal const int MinRowsPerGroup = 8;

    /// <summary>Largest per-step work (B·G·H·Hout multiply-adds) that is split by rows; above it the per-step
    /// products are split by columns, so that each core reads only its half of W_hh from memory. Row groups
    /// measured as fast or faster up to the largest anchor (LSTM 2×512, B = 64: 67 M), whose W_hh (4 MB) no
    /// longer fits one core's L2. Not const: tests move it.</summary>
    internal static long MaxRowSplitWork = 256L * 1024 * 1024;

    private static long s_splitSweeps;

    /// <summary>Sweeps split into row groups so far in this process (for tests).</summary>
    internal static long SplitSweeps => Interlocked.Read(ref s_splitSweeps);

    /// <summary>
    /// Runs a sweep over the batch rows, split into one row group per GEMM thread when that pays: the rows of a
    /// batch never interact within a sweep, so each thread then runs every time step of its own rows with no
    /// hand-off between threads (the per-step products and gate kernels of a small layer are a few microseconds:
    /// a barrier per step would cost as much). Each group's numbers are exactly those of the whole-batch sweep.
    /// Not split: with a recorder (it sees whole-batch steps), a batch too small for two groups, large steps, or
    /// when the GEMM threads are busy with another caller (the groups then run here, one after the other).
    /// </summary>
    private void RunRowGroups(int B, bool splittable, Action<int, int> sweep)
    {
        if (!SplitsRows(B, splittable))
        {
            sweep(0, B);
            return;
        }
        Interlocked.Increment(ref s_splitSweeps);
        RunGroups(B, RowGroupCount(B), sweep);
    }

    /// <summary>Row groups a split sweep of batch <paramref name="B"/> uses: one per GEMM thread, each of ≥ 8 rows.</summary>
    private static int RowGroupCount(int B) => Math.Min(Gemm.Threads, B / MinRowsPerGroup);

    /// <summary>Runs <paramref name="work"/> for each of <paramref name="groups"/> row groups, group g on GEMM thread g
    /// (all here when the threads are busy).</summary>
    private static void RunGroups(int B, int groups, Action<int, int> work)
    {
        var job = new RowGroupJob(work, B, groups);
        if (!GemmThreadPool.TryRunParts(job, groups))
            for (int g = 0; g < groups; g++) job.RunPart(g);
    }

    /// <summary>Whether a sweep of batch <paramref name="B"/> is split into row groups (see <see cref="RunRowGroups"/>).</summary>
    private bool SplitsRows(int B, bool splittable)
        => splittable && RowGroupCount(B) >= 2 && (long)B * _gates * _hidden * _stateSize <= MaxRowSplitWork;

    /// <summary>First row of group g of <paramref name="groups"/>: rows [B·g/groups, B·(g+1)/groups), rounded to whole 8-row panels.</summary>
    private static int GroupStart(int batch, int groups, int g)
        => g == groups ? batch : Math.Min(batch, batch * g / groups / MinRowsPerGroup * MinRowsPerGroup);

    /// <summary>The group whose first row is <paramref name="b0"/>.</summary>
    private static int GroupIndex(int batch, int groups, int b0)
    {
        for (int g = 0; g < groups; g++)
            if (GroupStart(batch, groups, g) == b0) return g;
        throw new InvalidOperationException($"row {b0} starts no group of {groups} over batch {batch}");
    }

    private sealed class RowGroupJob(Action<int, int> sweep, int batch, int groups) : GemmThreadPool.IParts
    {
        public void RunPart(int part) => sweep(GroupStart(batch, groups, part), GroupStart(batch, groups, part + 1));
    }
}
