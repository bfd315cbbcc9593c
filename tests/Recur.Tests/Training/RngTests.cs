using Recur.Training;

namespace Recur.Tests.Training;

public class RngTests
{
    [Theory]
    [InlineData(0.2f, 100_001)]
    [InlineData(0.5f, 99_999)]
    [InlineData(0.9f, 50_000)]
    [InlineData(0.2f, 64)]      // the smallest mask of the vector generators
    public void Dropout_masks_drop_p_of_the_values_independently_and_reproducibly(float p, int n)
    {
        // Small masks are filled many times from one generator, large ones once: ≈ 100 000 values either way.
        int fills = Math.Max(1, 100_000 / n);
        var rng = new Rng(3);
        var all = new float[fills * n];
        for (int f = 0; f < fills; f++) rng.FillDropoutMask(all.AsSpan(f * n, n), p, 1 / (1 - p));
        AssertDropsIndependently(all, n, p);

        var again = new float[n];
        new Rng(3).FillDropoutMask(again, p, 1 / (1 - p));
        Assert.Equal(all.AsSpan(0, n).ToArray(), again);
    }

    [Fact]
    public void Small_dropout_masks_drop_p_of_the_values_independently()
    {
        const float p = 0.3f;
        const int n = 37;   // below the vector generators' threshold, odd
        var rng = new Rng(5);
        var all = new float[3000 * n];
        for (int f = 0; f < 3000; f++) rng.FillDropoutMask(all.AsSpan(f * n, n), p, 1 / (1 - p));
        AssertDropsIndependently(all, n, p);
    }

    [Fact]
    public void Consecutive_masks_differ_and_the_mask_depends_on_the_seed()
    {
        var rng = new Rng(7);
        var first = new float[1000];
        var second = new float[1000];
        rng.FillDropoutMask(first, 0.5f, 2f);
        rng.FillDropoutMask(second, 0.5f, 2f);
        Assert.NotEqual(first, second);
        var other = new float[1000];
        new Rng(8).FillDropoutMask(other, 0.5f, 2f);
        Assert.NotEqual(first, other);
    }

    /// <summary>Every value 0 or keep; the dropped fraction, and the fraction of pairs (i, i + k) both dropped, within
    /// 5 standard deviations of p and p². Lags 1 and 2: halves of one draw and neighbouring lanes; 8 and 16: the two
    /// sets of vector generators and consecutive steps of one. Pairs are taken within each mask of length n.</summary>
    private static void AssertDropsIndependently(float[] values, int n, float p)
    {
        float keep = 1 / (1 - p);
        Assert.All(values, v => Assert.True(v == 0f || v == keep));
        AssertNear(values.Count(v => v == 0f), values.Length, p);
        foreach (int lag in new[] { 1, 2, 8, 16 })
        {
            if (lag >= n) continue;
            int both = 0, pairs = 0;
            for (int start = 0; start < values.Length; start += n)
                for (int i = start; i + lag < start + n; i++)
                {
                    pairs++;
                    if (values[i] == 0 && values[i + lag] == 0) both++;
                }
            AssertNear(both, pairs, p * p);
        }
    }

    private static void AssertNear(int hits, int trials, double q)
    {
        double sd = Math.Sqrt(q * (1 - q) / trials);
        Assert.InRange(hits / (double)trials, q - 5 * sd, q + 5 * sd);
    }
}
