using CsCheck;
using Recur.Data;

namespace Recur.Tests.Forecast;

/// <summary>Windows, alignment, the chronological split and scaling without leakage.</summary>
public class ForecastFrameTests
{
    private static double[] Ramp(int n) => Enumerable.Range(0, n).Select(i => 10.0 + 2 * i).ToArray();

    [Fact]
    public void Windows_are_time_major_and_aligned_with_their_targets()
    {
        var frame = new ForecastFrame(SeriesTable.FromValues(Ramp(50)), new FrameSettings { Window = 4, Horizon = 2, Scale = ScaleKind.None, TestSize = 10 });
        Assert.Equal(1, frame.InputSize);
        Assert.Equal(40, frame.TestStart);
        int[] taus = [4, 9, 20];
        var x = new float[4 * 3 * 1];   // [W, B, F]
        var y = new float[3 * 2];       // [B, H]
        frame.Windows(taus, x, y);
        for (int b = 0; b < 3; b++)
        {
            for (int j = 0; j < 4; j++) Assert.Equal(frame.Y[taus[b] - 4 + j], x[j * 3 + b]);
            Assert.Equal(frame.Y[taus[b]], y[b * 2]);
            Assert.Equal(frame.Y[taus[b] + 1], y[b * 2 + 1]);
        }
        Assert.Equal(4, frame.TrainTargets[0]);
        Assert.True(frame.TrainTargets[^1] + 1 < frame.ValStart);          // both steps of the last training sample are before validation
        Assert.True(frame.ValTargets[^1] + 1 < frame.TestStart);
        Assert.Equal(40, frame.TestTargets[0]);
        Assert.Equal(48, frame.TestTargets[^1]);
    }

    [Fact]
    public void Differencing_and_its_inverse()
    {
        var y = new[] { 1.0, 4, 9, 16, 25, 36, 49, 64, 81, 100, 121, 144, 169, 196, 225, 256, 289, 324, 361, 400 };
        var frame = new ForecastFrame(SeriesTable.FromValues(y), new FrameSettings { Window = 3, Difference = true, Scale = ScaleKind.Standard, TestSize = 4 });
        Assert.Equal(1, frame.First);
        Assert.True(double.IsNaN(frame.ScaledZ(0)));
        // Scaled z of t = 5, 6 back to y_6 from y_4: y_4 + z_5 + z_6.
        Assert.Equal(y[6], frame.ToValue(y[4], [frame.ScaledZ(5), frame.ScaledZ(6)]), 9);
        Assert.Equal(frame.TargetScaler.Transform(y[7] - y[6]), frame.ScaledZ(7), 12);
    }

    [Fact]
    public void Scalers_see_only_the_training_part()
    {
        Gen.Select(Gen.Int[40, 120], Gen.Double[-1e3, 1e3], Gen.Bool).Sample((n, spike, minmax) =>
        {
            var y = Enumerable.Range(0, n).Select(i => Math.Sin(i * 0.3) * 5 + i * 0.1).ToArray();
            var changed = (double[])y.Clone();
            var settings = new FrameSettings { Window = 5, Scale = minmax ? ScaleKind.MinMax : ScaleKind.Standard, TestSize = 10 };
            var a = new ForecastFrame(SeriesTable.FromValues(y), settings);
            for (int t = a.ValStart; t < n; t++) changed[t] += spike;   // validation and test values change
            var b = new ForecastFrame(SeriesTable.FromValues(changed), settings);
            Assert.Equal(a.TargetScaler, b.TargetScaler);
            for (int t = 0; t < a.ValStart; t++) Assert.Equal(a.ScaledZ(t), b.ScaledZ(t));
        });
        var frame = new ForecastFrame(SeriesTable.FromValues(Ramp(100)), new FrameSettings { Window = 5, Scale = ScaleKind.MinMax, TestSize = 20 });
        Assert.Equal(10.0, frame.TargetScaler.Offset);
        Assert.Equal(2.0 * (frame.ValStart - 1), frame.TargetScaler.Scale);
        Assert.True(frame.ScaledZ(99) > 1);   // test values lie beyond the training range: not squeezed into it
    }

    [Fact]
    public void Calendar_inputs_belong_to_the_forecast_day()
    {
        var days = Enumerable.Range(0, 30).Select(i => new DateOnly(2024, 1, 1).AddDays(i)).ToArray();
        var frame = new ForecastFrame(SeriesTable.FromValues(Ramp(30), days), new FrameSettings { Window = 3, Calendar = true, TestSize = 5 });
        Assert.Equal(1 + CalendarFeatures.Count, frame.InputSize);
        // Row of 2024-01-01 (Monday) carries the calendar of 2024-01-02 (Tuesday).
        Assert.Equal(1f, frame.Row(0)[1 + 1]);
        Assert.Equal(new DateOnly(2024, 2, 1), frame.DateAt(31));
    }

    [Fact]
    public void Too_short_series_are_a_clear_error()
    {
        var e = Assert.Throws<ArgumentException>(() => new ForecastFrame(SeriesTable.FromValues(Ramp(12)), new FrameSettings { Window = 10, TestSize = 2 }));
        Assert.Contains("too few", e.Message);
    }
}
