using Recur.Reservoir;

namespace Recur.Tests.Reservoir;

public sealed class GeneratorTests
{
    [Fact]
    public void MackeyGlass_FirstDelayInterval_MatchesClosedForm()
    {
        // For t < τ the delayed value is the constant history 1.2, so dx/dt = c·b − b·x with
        // c·b = a·1.2 / (1 + 1.2¹⁰): x(t) = c + (1.2 − c)·e^{−b t}.
        var x = Generators.MackeyGlass(17, seed: 0, transient: 0);
        double c = 0.2 * 1.2 / (1 + Math.Pow(1.2, 10)) / 0.1;
        for (int t = 0; t < 17; t++) Assert.Equal(c + (1.2 - c) * Math.Exp(-0.1 * t), x[t], 1e-9);
    }

    [Fact]
    public void MackeyGlass_StaysOnItsAttractor()
    {
        var x = Generators.MackeyGlass(3000, seed: 3);
        Assert.True(x.Min() > 0.35 && x.Max() < 1.4, $"range [{x.Min()}, {x.Max()}]");
        double mean = x.Average();
        double std = Math.Sqrt(x.Average(v => (v - mean) * (v - mean)));
        Assert.InRange(mean, 0.85, 0.95);
        Assert.InRange(std, 0.18, 0.28);
        var other = Generators.MackeyGlass(3000, seed: 4);
        Assert.NotEqual(x[100], other[100]);
        Assert.Throws<ArgumentException>(() => Generators.MackeyGlass(10, step: 0.3));
    }

    [Fact]
    public void Lorenz_IsOnTheButterfly_AndRk4IsConverged()
    {
        var s = Generators.Lorenz(5000, seed: 2);
        double zMean = 0;
        for (int t = 0; t < 5000; t++)
        {
            double x = s[3 * t], y = s[3 * t + 1], z = s[3 * t + 2];
            Assert.True(Math.Abs(x) < 25 && Math.Abs(y) < 32 && z > 0 && z < 52, $"({x}, {y}, {z}) at {t}");
            zMean += z / 5000;
        }
        Assert.InRange(zMean, 21, 26);
        // Both lobes are visited.
        Assert.Contains(Enumerable.Range(0, 5000), t => s[3 * t] > 5);
        Assert.Contains(Enumerable.Range(0, 5000), t => s[3 * t] < -5);
        // Over one time unit from the same start, RK4 converges at 4th order: halving the step cuts the error ~16×.
        var reference = Generators.Lorenz(50, transient: 0, substeps: 64);
        double Err(int substeps) => Generators.Lorenz(50, transient: 0, substeps: substeps).Zip(reference, (a, b) => Math.Abs(a - b)).Max();
        double e4 = Err(4), e8 = Err(8);
        Assert.True(e4 < 1e-4, $"error with 4 substeps {e4}");
        Assert.InRange(e4 / e8, 10.0, 24.0);
    }
}
