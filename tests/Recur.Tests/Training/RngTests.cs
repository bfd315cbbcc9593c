using Recur.Training;

namespace Recur.Tests.Training;

public class RngTests
{
    [Theory]
    [InlineData(0.2f, 100_001)]
    [InlineData(0.5f, 99_999)]
    [InlineData(0.9f, 50_000)]
    public void Dropout_masks_drop_p_of_the_values_independently_and_reproducibly(float p, int n)
    {
        var mask = new float[n];
        float keep = 1 / (1 - p);
        new Rng(3).FillDropoutMask(mask, p, keep);
        Assert.All(mask, v => Assert.True(v == 0f || v == keep));
        // Dropped fraction within 5 standard deviations of p.
        double dropped = mask.Count(v => v == 0f) / (double)n;
        Assert.InRange(dropped, p - 5 * Math.Sqrt(p * (1 - p) / n), p + 5 * Math.Sqrt(p * (1 - p) / n));
        // Neighbours come from the two halves of one draw: they must not be correlated.
        int both = 0;
        for (int i = 0; i + 1 < n; i += 2) if (mask[i] == 0 && mask[i + 1] == 0) both++;
        double pairs = n / 2, expect = p * p;
        Assert.InRange(both / pairs, expect - 5 * Math.Sqrt(expect * (1 - expect) / pairs), expect + 5 * Math.Sqrt(expect * (1 - expect) / pairs));
        var again = new float[n];
        new Rng(3).FillDropoutMask(again, p, keep);
        Assert.Equal(mask, again);
    }
}
