using System.Globalization;
using System.Text;
using System.Text.Json;
using Recur.Cli;
using Recur.Tests.CharLm;

namespace Recur.Tests.Forecast;

/// <summary>`recur forecast train|predict` in-process: the table, JSON, plots, and one-line errors on bad input.</summary>
public class ForecastCliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CliApp.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    private static string SineCsv(TempDir dir, string? badRow = null)
    {
        var sb = new StringBuilder("date,value,other\n");
        var y = ForecastModelTests.Sine(300);
        var day = new DateOnly(2020, 1, 1);
        for (int i = 0; i < y.Length; i++)
            sb.Append(CultureInfo.InvariantCulture, $"{day.AddDays(i):yyyy-MM-dd},{(i == 100 && badRow is not null ? badRow : y[i].ToString(CultureInfo.InvariantCulture))},{i % 7}\n");
        string path = dir.File("sine.csv");
        File.WriteAllText(path, sb.ToString());
        return path;
    }

    private static string[] Tiny(TempDir dir, string csv, params string[] more) =>
        ["forecast", "train", csv, "--target", "value", "--date", "date", "--window", "8", "--layers", "1", "--hidden", "8", "--epochs", "3",
         "--test-size", "30", "--mc-samples", "5", "--out", dir.File("m.safetensors"), .. more];

    [Fact]
    public void Train_prints_the_table_and_predict_forecasts_past_the_end()
    {
        using var dir = new TempDir();
        string csv = SineCsv(dir);
        var (code, stdout, stderr) = Run(Tiny(dir, csv, "--calendar", "--features", "other", "--plot", dir.File("p.png")));
        Assert.True(code == 0, stderr);
        Assert.Contains("persistence", stdout);
        Assert.Contains("AR(8)", stdout);
        Assert.Contains("interval", stdout);
        Assert.True(new FileInfo(dir.File("p.png")).Length > 1000);

        (code, stdout, stderr) = Run("forecast", "predict", dir.File("m.safetensors"), csv, "--horizon", "4", "--json", "--plot", dir.File("q.png"));
        Assert.True(code == 0, stderr);
        var j = JsonDocument.Parse(stdout).RootElement;
        var f = j.GetProperty("forecasts");
        Assert.Equal(4, f.GetArrayLength());
        Assert.Equal("2020-10-27", f[0].GetProperty("date").GetString());   // the day after the last row
        Assert.True(f[0].GetProperty("lower").GetDouble() <= f[0].GetProperty("upper").GetDouble());
        Assert.True(File.Exists(dir.File("q.png")));
    }

    [Fact]
    public void Train_json_is_one_object_with_every_forecaster()
    {
        using var dir = new TempDir();
        var (code, stdout, stderr) = Run(Tiny(dir, SineCsv(dir), "--json", "--season", "25", "--difference", "--scale", "standard"));
        Assert.True(code == 0, stderr);
        Assert.Single(stdout.Trim().Split('\n'));
        var j = JsonDocument.Parse(stdout).RootElement;
        var names = j.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("name").GetString()!).ToArray();
        Assert.Equal(["LSTM model", "persistence", "seasonal naive (25)", "drift", "AR(8)"], names);
        Assert.Equal(30, j.GetProperty("forecasts").GetInt32());
        Assert.Equal(1, j.GetProperty("results")[0].GetProperty("rmse_by_step").GetArrayLength());
    }

    [Fact]
    public void Multi_step_runs_report_the_error_at_each_step()
    {
        using var dir = new TempDir();
        var (code, stdout, stderr) = Run(Tiny(dir, SineCsv(dir), "--horizon", "3", "--strategy", "recursive", "--json"));
        Assert.True(code == 0, stderr);
        var j = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(28, j.GetProperty("forecasts").GetInt32());   // origins whose 3 steps all lie in the 30 test points
        Assert.All(j.GetProperty("results").EnumerateArray(), r => Assert.Equal(3, r.GetProperty("rmse_by_step").GetArrayLength()));
        (code, stdout, stderr) = Run(Tiny(dir, SineCsv(dir), "--horizon", "3"));
        Assert.True(code == 0, stderr);
        Assert.Contains("RMSE by step ahead", stdout);
        Assert.InRange(j.GetProperty("interval_coverage").GetDouble(), 0, 1);
    }

    [Theory]
    [InlineData("--target", "nope")]
    [InlineData("--fill", "sideways")]
    [InlineData("--scale", "log")]
    [InlineData("--cell", "transformer")]
    [InlineData("--window", "0")]
    [InlineData("--strategy", "magic")]
    [InlineData("--date-parts", "a,b")]
    public void Bad_input_is_one_line_and_exit_1(string option, string value)
    {
        using var dir = new TempDir();
        var args = Tiny(dir, SineCsv(dir)).ToList();
        int i = args.IndexOf(option);
        if (i >= 0) args[i + 1] = value; else args.AddRange([option, value]);
        var (code, stdout, stderr) = Run([.. args]);
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith("recur: ", stderr);
    }

    [Fact]
    public void Bad_rows_name_their_line_and_fill_repairs_them()
    {
        using var dir = new TempDir();
        string csv = SineCsv(dir, badRow: "oops");
        var (code, _, stderr) = Run(Tiny(dir, csv));
        Assert.Equal(1, code);
        Assert.Contains("line 102", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        (code, var stdout, stderr) = Run(Tiny(dir, csv, "--fill", "forward"));
        Assert.True(code == 0, stderr);
        Assert.Contains("1 value forward-filled (first: line 102)", stdout);
    }

    [Fact]
    public void Other_mistakes_are_one_line_too()
    {
        using var dir = new TempDir();
        var (code, _, stderr) = Run("forecast", "train", dir.File("none.csv"), "--target", "v");
        Assert.Equal(1, code);
        Assert.Contains("not found", stderr);
        (code, _, stderr) = Run(Tiny(dir, SineCsv(dir), "--calendar", "--date", "date") is var a ? [.. a.Where(s => s != "--date" && s != "date")] : []);
        Assert.Equal(1, code);
        Assert.Contains("--calendar needs", stderr);
        File.WriteAllText(dir.File("x.safetensors"), "junk");
        (code, _, stderr) = Run("forecast", "predict", dir.File("x.safetensors"), SineCsv(dir));
        Assert.Equal(1, code);
        Assert.Contains("not a Recur model", stderr);
        (code, _, _) = Run("forecast", "train", SineCsv(dir));   // --target is required: usage error
        Assert.Equal(2, code);
    }
}
