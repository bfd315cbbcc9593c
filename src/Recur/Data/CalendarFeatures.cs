namespace Recur.Data;

/// <summary>
/// Calendar inputs computed from a date alone (no holiday table): day of week one-hot (7), day of year as
/// sin/cos of its first two harmonics (4), month of year as sin/cos (2), day of month as sin/cos (2) — 15 values.
/// </summary>
public static class CalendarFeatures
{
    public const int Count = 15;

    public static readonly string[] Names =
    [
        "mon", "tue", "wed", "thu", "fri", "sat", "sun",
        "doy_sin1", "doy_cos1", "doy_sin2", "doy_cos2", "month_sin", "month_cos", "dom_sin", "dom_cos",
    ];

    /// <summary>Writes the <see cref="Count"/> features of <paramref name="day"/> into <paramref name="into"/>.</summary>
    public static void Compute(DateOnly day, Span<float> into)
    {
        if (into.Length < Count) throw new ArgumentException($"calendar features need {Count} values");
        into[..7].Clear();
        into[((int)day.DayOfWeek + 6) % 7] = 1f;   // Monday first
        double year = DateTime.IsLeapYear(day.Year) ? 366 : 365;
        double a = 2 * Math.PI * (day.DayOfYear - 1) / year;
        into[7] = (float)Math.Sin(a);
        into[8] = (float)Math.Cos(a);
        into[9] = (float)Math.Sin(2 * a);
        into[10] = (float)Math.Cos(2 * a);
        double m = 2 * Math.PI * (day.Month - 1) / 12;
        into[11] = (float)Math.Sin(m);
        into[12] = (float)Math.Cos(m);
        double d = 2 * Math.PI * (day.Day - 1) / DateTime.DaysInMonth(day.Year, day.Month);
        into[13] = (float)Math.Sin(d);
        into[14] = (float)Math.Cos(d);
    }
}

/// <summary>The spacing of a dated series, to extend it past its end: daily, business-daily (no weekend rows), monthly, or every k days.</summary>
public sealed record DateStep(string Kind, int Days)
{
    public static DateStep Infer(IReadOnlyList<DateOnly> dates)
    {
        if (dates.Count < 2) return new DateStep("days", 1);
        bool monthly = true, weekend = false;
        var gaps = new List<int>();
        for (int i = 1; i < dates.Count; i++)
        {
            var (a, b) = (dates[i - 1], dates[i]);
            if (!(b.Day == a.Day && (b.Year * 12 + b.Month) - (a.Year * 12 + a.Month) == 1)) monthly = false;
            gaps.Add(b.DayNumber - a.DayNumber);
        }
        foreach (var d in dates) if (d.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday) weekend = true;
        if (monthly) return new DateStep("months", 1);
        gaps.Sort();
        int median = gaps[gaps.Count / 2];
        if (median == 1 && !weekend) return new DateStep("business-days", 1);
        return new DateStep("days", Math.Max(1, median));
    }

    public DateOnly Next(DateOnly day) => Kind switch
    {
        "months" => day.AddMonths(1),
        "business-days" => day.DayOfWeek switch { DayOfWeek.Friday => day.AddDays(3), DayOfWeek.Saturday => day.AddDays(2), _ => day.AddDays(1) },
        _ => day.AddDays(Days),
    };
}
