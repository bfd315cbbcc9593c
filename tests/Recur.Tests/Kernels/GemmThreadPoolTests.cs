using Recur.Kernels;

namespace Recur.Tests.Kernels;

public class GemmThreadPoolTests
{
    /// <summary>Counts the parts it runs; a part index outside the job is recorded too.</summary>
    private sealed class CountingParts(int parts) : GemmThreadPool.IParts
    {
        public readonly int[] Runs = new int[32];
        public void RunPart(int part)
        {
            Interlocked.Increment(ref Runs[part]);
            if (part >= parts) throw new InvalidOperationException($"part {part} of a {parts}-part job");
        }
    }

    [Fact]
    public void A_job_with_fewer_parts_than_workers_runs_each_part_exactly_once()
    {
        // Four-part jobs grow the pool to three workers; the two-part jobs between them must never hand "part 2"
        // or "part 3" to a worker that wakes late from a four-part job (that claim used to run nothing and count
        // as done, and the caller then waited for ever or the count overshot).
        for (int round = 0; round < 20_000; round++)
        {
            int parts = (round & 1) == 0 ? 4 : 2;
            var job = new CountingParts(parts);
            if (!GemmThreadPool.TryRunParts(job, parts))
                continue;   // another test owns the workers right now
            for (int p = 0; p < 32; p++)
                Assert.Equal(p < parts ? 1 : 0, job.Runs[p]);
        }
    }
}
