using System.CommandLine;
using Recur.Data;
using Recur.Reports;
using Recur.Tasks;
using Recur.Training;
using static Recur.Cli.ForecastCli;

namespace Recur.Cli;

/// <summary>`recur forecast predict MODEL CSV [--horizon H]`: forecasts past the end of the data, with intervals.</summary>
public static class ForecastPredictCommand
{
    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var modelArg = new Argument<string>("model") { Description = "a model written by `recur forecast train`" };
        var csv = new Argument<string>("csv") { Description = "CSV with the model's columns; forecasts start after its last row" };
        var horizon = new Option<int?>("--horizon") { Description = "steps past the end (default: the model's horizon)" };
        var fill = new Option<string>("--fill") { Description = "rows with missing or non-numeric values: fail (default), forward, drop", DefaultValueFactory = _ => "none" };
        var level = new Option<double>("--level") { Description = "nominal coverage of the interval", DefaultValueFactory = _ => 0.9 };
        var mcSamples = new Option<int?>("--mc-samples") { Description = "Monte-Carlo dropout passes (default: the model's)" };
        var seed = new Option<int>("--seed") { Description = "seed of the dropout masks", DefaultValueFactory = _ => 1 };
        var plot = new Option<string?>("--plot") { Description = "PNG: the recent history and the forecast with its interval" };
        var json = new Option<bool>("--json") { Description = "print one JSON object" };
        var cmd = new Command("predict", "Forecast past the end of a CSV with a trained model, with prediction intervals.");
        cmd.Arguments.Add(modelArg);
        cmd.Arguments.Add(csv);
        foreach (var o in new Option[] { horizon, fill, level, mcSamples, seed, plot, json }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            string modelPath = parse.GetValue(modelArg)!, path = parse.GetValue(csv)!;
            ForecastModel model;
            try { model = ForecastModel.Load(modelPath); }
            catch (FileNotFoundException) { throw new UserException($"{modelPath}: no such model file"); }
            var c = model.Config;
            int h = parse.GetValue(horizon) ?? c.Horizon;
            if (h < 1) throw new UserException($"--horizon must be at least 1, got {h}");
            if (!c.Recursive && c.Outputs > 1 && h > c.Outputs) throw new UserException($"this direct model forecasts at most {c.Outputs} steps, --horizon {h} was asked");
            double lv = parse.GetValue(level);
            if (!(lv is > 0 and < 1)) throw new UserException($"--level must be in (0, 1), got {lv}");
            int samples = parse.GetValue(mcSamples) ?? c.McSamples;
            if (samples < 0) throw new UserException($"--mc-samples must be ≥ 0, got {samples}");

            var table = SeriesCsv.Load(path, new SeriesColumns
            {
                Target = c.Target, Features = c.Features, Date = c.Date, DateParts = c.DateParts, Fill = SeriesColumns.ParseFill(parse.GetValue(fill)!),
            });
            var frame = model.FrameFor(table);
            int n = table.Count;
            var predictor = new ForecastPredictor(model, frame);
            var point = predictor.Forecast([n], h);
            var mcVar = new double[h];
            if (c.Dropout > 0 && samples > 1)
            {
                var mc = predictor.MonteCarlo([n], h, samples, new Rng((ulong)parse.GetValue(seed)));
                for (int k = 0; k < h; k++)
                {
                    double mean = mc.Average(s => s[0, k]);
                    mcVar[k] = mc.Sum(s => (s[0, k] - mean) * (s[0, k] - mean)) / (samples - 1);
                }
            }
            double z = ForecastEvaluation.NormalQuantile(0.5 + lv / 2);
            var sigma = c.ResidualSigma;
            var rows = new List<(int Step, DateOnly? Date, double Forecast, double Lower, double Upper)>();
            for (int k = 0; k < h; k++)
            {
                // Beyond the steps measured on validation, the error spread grows like √steps (a random walk of errors).
                double s = sigma.Length == 0 ? 0 : k < sigma.Length ? sigma[k] : sigma[^1] * Math.Sqrt((k + 1.0) / sigma.Length);
                double half = z * Math.Sqrt(mcVar[k] + s * s);
                rows.Add((k + 1, table.Dates is null ? null : frame.DateAt(n + k), point[0, k], point[0, k] - half, point[0, k] + half));
            }
            string? plotPath = parse.GetValue(plot);
            if (plotPath is not null)
            {
                int back = Math.Min(n, Math.Max(3 * c.Window, 3 * h));
                double X(int t) => table.Dates is null ? t : frame.DateAt(t).ToDateTime(TimeOnly.MinValue).ToOADate();
                var histX = Enumerable.Range(n - back, back).Select(X).ToArray();
                // The forecast line starts at the last observed value so that it joins the history.
                var fx = new[] { X(n - 1) }.Concat(rows.Select(r => X(n + r.Step - 1))).ToArray();
                var last = table.Target[^1];
                ForecastPlot.Save(plotPath, new ForecastPlot.Panel(fx, [], [last, .. rows.Select(r => r.Forecast)], [last, .. rows.Select(r => r.Lower)],
                        [last, .. rows.Select(r => r.Upper)], null, null, $"{c.Target}: forecast of {h} step{(h == 1 ? "" : "s")} past the data ({lv * 100:0.#}% interval)",
                        table.Dates is null ? "time step" : "date", c.Target, table.Target[(n - back)..], histX, table.Dates is not null),
                    null, null, 1200, 500);
            }
            if (parse.GetValue(json))
            {
                CliCommon.WriteJson(stdout, new Dictionary<string, object?>
                {
                    ["model"] = modelPath, ["csv"] = path, ["target"] = c.Target, ["rows"] = n, ["horizon"] = h, ["level"] = lv,
                    ["forecasts"] = rows.Select(r => new { step = r.Step, date = r.Date?.ToString("yyyy-MM-dd"), forecast = r.Forecast, lower = r.Lower, upper = r.Upper }).ToArray(),
                    ["plot"] = plotPath,
                });
                return CliApp.Ok;
            }
            stdout.WriteLine($"{c.Target}: {h} step{(h == 1 ? "" : "s")} past {(table.Dates is { } d ? d[^1].ToString("yyyy-MM-dd") : $"row {n}")} (last value {F(table.Target[^1])}), {lv * 100:0.#}% interval");
            stdout.WriteLine($"{"step",5}  {(table.Dates is null ? "" : "date        ")}{"forecast",12}{"lower",12}{"upper",12}");
            foreach (var r in rows)
                stdout.WriteLine($"{r.Step,5}  {(r.Date is { } dd ? dd.ToString("yyyy-MM-dd") + "  " : "")}{F(r.Forecast),12}{F(r.Lower),12}{F(r.Upper),12}");
            if (plotPath is not null) stdout.WriteLine($"plot: {plotPath}");
            return CliApp.Ok;
        });
        return cmd;
    }
}
