using Recur.Data;
using Recur.Tests.CharLm;

namespace Recur.Tests.Forecast;

/// <summary>Loading a forecasting series: columns, dates, bad rows named by line, fill modes.</summary>
public class SeriesCsvTests
{
    private static string Write(TempDir dir, string text)
    {
        string path = dir.File("s.csv");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Loads_target_features_and_date_parts()
    {
        using var dir = new TempDir();
        var path = Write(dir, "year,month,day,births,temp\n2000,1,30,10,1.5\n2000,1,31,12,2.5\n2000,2,1,11,3.5\n");
        var t = SeriesCsv.Load(path, new SeriesColumns { Target = "births", Features = ["temp"], DateParts = ["year", "month", "day"] });
        Assert.Equal([10.0, 12, 11], t.Target);
        Assert.Equal([1.5, 2.5, 3.5], t.Features[0]);
        Assert.Equal(new DateOnly(2000, 2, 1), t.Dates![2]);
        Assert.Equal([2L, 3, 4], t.Lines);
    }

    [Fact]
    public void Bad_values_fail_naming_every_line()
    {
        using var dir = new TempDir();
        var path = Write(dir, "date,close\n2020-01-01,1\n2020-01-02,\n2020-01-03,3\n2020-01-04,abc\n");
        var e = Assert.Throws<InvalidDataException>(() => SeriesCsv.Load(path, new SeriesColumns { Target = "close", Date = "date" }));
        Assert.Contains("line 3 (close missing)", e.Message);
        Assert.Contains("line 5 (close 'abc')", e.Message);
        Assert.Contains("--fill", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Fill_forward_repeats_the_previous_row_and_drop_leaves_it_out()
    {
        using var dir = new TempDir();
        var path = Write(dir, "x,y\nn/a,1\n2,2\n,3\n4,4\n");
        var f = SeriesCsv.Load(path, new SeriesColumns { Target = "x", Features = ["y"], Fill = FillMode.Forward });
        Assert.Equal([2.0, 2, 4], f.Target);      // the first row has nothing to repeat: dropped
        Assert.Equal([2.0, 3, 4], f.Features[0]);
        Assert.Equal([3L, 4, 5], f.Lines);
        Assert.Equal(2, f.Repaired.Count);
        var d = SeriesCsv.Load(path, new SeriesColumns { Target = "x", Fill = FillMode.Drop });
        Assert.Equal([2.0, 4], d.Target);
        Assert.Equal([3L, 5], d.Lines);
    }

    [Fact]
    public void Missing_column_bad_date_and_disorder_are_one_line_errors()
    {
        using var dir = new TempDir();
        var path = Write(dir, "date,v\n2020-01-02,1\n2020-01-01,2\n");
        var e = Assert.Throws<InvalidDataException>(() => SeriesCsv.Load(path, new SeriesColumns { Target = "close" }));
        Assert.Contains("no column 'close'", e.Message);
        e = Assert.Throws<InvalidDataException>(() => SeriesCsv.Load(path, new SeriesColumns { Target = "v", Date = "date" }));
        Assert.Contains("line 3", e.Message);
        var bad = Write(dir, "date,v\n2020-13-45,1\n");
        e = Assert.Throws<InvalidDataException>(() => SeriesCsv.Load(bad, new SeriesColumns { Target = "v", Date = "date" }));
        Assert.Contains("line 2", e.Message);
        Assert.Throws<FileNotFoundException>(() => SeriesCsv.Load(dir.File("none.csv"), new SeriesColumns { Target = "v" }));
    }

    [Fact]
    public void Date_steps_extend_daily_business_and_monthly_series()
    {
        var monthly = new[] { new DateOnly(2020, 1, 1), new DateOnly(2020, 2, 1), new DateOnly(2020, 3, 1) };
        Assert.Equal(new DateOnly(2020, 4, 1), DateStep.Infer(monthly).Next(monthly[^1]));
        var business = new[] { new DateOnly(2024, 1, 3), new DateOnly(2024, 1, 4), new DateOnly(2024, 1, 5), new DateOnly(2024, 1, 8) };
        Assert.Equal(new DateOnly(2024, 1, 12), DateStep.Infer(business).Next(new DateOnly(2024, 1, 11)));
        Assert.Equal(new DateOnly(2024, 1, 15), DateStep.Infer(business).Next(new DateOnly(2024, 1, 12)));
        var daily = new[] { new DateOnly(2024, 1, 5), new DateOnly(2024, 1, 6), new DateOnly(2024, 1, 7) };
        Assert.Equal(new DateOnly(2024, 1, 8), DateStep.Infer(daily).Next(daily[^1]));
    }

    [Fact]
    public void Calendar_features_mark_the_weekday()
    {
        var f = new float[CalendarFeatures.Count];
        CalendarFeatures.Compute(new DateOnly(2024, 1, 1), f);   // a Monday, first day of the year and month
        Assert.Equal(1f, f[0]);
        Assert.Equal(1f, f[..7].ToArray().Sum());
        Assert.Equal(0f, f[7], 6);
        Assert.Equal(1f, f[8], 6);
        CalendarFeatures.Compute(new DateOnly(2024, 1, 7), f);   // Sunday
        Assert.Equal(1f, f[6]);
    }
}
