using System.Globalization;

namespace Recur.Reports;

/// <summary>A diverging colour map: blue for −1, white for 0, red for +1, cut into equal buckets.</summary>
public static class DivergingColourMap
{
    private static readonly (double R, double G, double B) Negative = (33, 102, 172), Zero = (247, 247, 247), Positive = (178, 24, 43);

    /// <summary>The colour of <paramref name="value"/> in [−1, 1] (clamped) as <c>#rrggbb</c>.</summary>
    public static string Colour(double value)
    {
        double v = Math.Clamp(value, -1, 1);
        var end = v < 0 ? Negative : Positive;
        double a = Math.Abs(v);
        static int Mix(double from, double to, double a) => (int)Math.Round(from + (to - from) * a);
        return string.Create(CultureInfo.InvariantCulture, $"#{Mix(Zero.R, end.R, a):x2}{Mix(Zero.G, end.G, a):x2}{Mix(Zero.B, end.B, a):x2}");
    }

    /// <summary>The colour of bucket <paramref name="k"/> of <paramref name="buckets"/> equal buckets over [−1, 1] (its centre).</summary>
    public static string BucketColour(int k, int buckets) => Colour((k + 0.5) / buckets * 2 - 1);
}
