using System.CommandLine;
using System.Globalization;
using Recur.Cells;
using Recur.Data;
using Recur.Tasks;
using Recur.Training;

namespace Recur.Cli;

/// <summary>
/// `recur forecast train CSV --target COL ...` trains a recurrent forecaster and judges it against baselines on the
/// test range; `recur forecast predict MODEL CSV` forecasts past the end of the data with intervals.
/// </summary>
public static class ForecastCommand
{
    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var cmd = new Command("forecast", "Time-series forecasting from a CSV, judged against baselines.");
        cmd.Subcommands.Add(BuildTrain(stdout, stderr));
        cmd.Subcommands.Add(ForecastPredictCommand.Build(stdout, stderr));
        return cmd;
    }

    private static Command BuildTrain(TextWriter stdout, TextWriter stderr)
    {
        var csv = new Argument<string>("csv") { Description = "CSV file with a header row" };
        var target = new Option<string>("--target") { Description = "the column to forecast", Required = true };
        var date = new Option<string?>("--date") { Description = "date column (for --calendar and predicted dates)" };
        var dateParts = new Option<string?>("--date-parts") { Description = "year,month,day columns that make the date, e.g. year,month,date_of_month" };
        var features = new Option<string?>("--features") { Description = "extra input columns, comma-separated" };
        var calendar = new Option<bool>("--calendar") { Description = "calendar inputs of the forecast day: day of week, day of year, month, day of month (needs a date)" };
        var fill = new Option<string>("--fill") { Description = "rows with missing or non-numeric values: fail (default), forward, drop", DefaultValueFactory = _ => "none" };
        var window = new Option<int>("--window") { Description = "time steps the network reads per forecast", DefaultValueFactory = _ => 60 };
        var horizon = new Option<int>("--horizon") { Description = "steps ahead", DefaultValueFactory = _ => 1 };
        var strategy = new Option<string>("--strategy") { Description = "multi-step: direct (H outputs) or recursive (one output fed back)", DefaultValueFactory = _ => "direct" };
        var testSize = new Option<int>("--test-size") { Description = "target points at the end held out for the test (default: 10% of the rows)" };
        var valFraction = new Option<double>("--val-fraction") { Description = "fraction of the rest, at its end, for validation", DefaultValueFactory = _ => 0.1 };
        var season = new Option<int?>("--season") { Description = "seasonal period of the seasonal-naive baseline and MASE (default: detected)" };
        var arOrder = new Option<int?>("--ar-order") { Description = "order p of the AR(p) baseline (default: --window)" };
        var scale = new Option<string>("--scale") { Description = "minmax, standard, none (fitted on the training part only)", DefaultValueFactory = _ => "minmax" };
        var difference = new Option<bool>("--difference") { Description = "model y_t − y_{t−1} (trending series)" };
        var cell = new Option<string>("--cell") { Description = "lstm, gru, rnn (or any cell of `train text`)", DefaultValueFactory = _ => "lstm" };
        var layers = new Option<int>("--layers") { Description = "recurrent layers", DefaultValueFactory = _ => 4 };
        var hidden = new Option<int>("--hidden") { Description = "units per layer", DefaultValueFactory = _ => 50 };
        var dropout = new Option<float>("--dropout") { Description = "dropout between layers and before the head (also the Monte-Carlo intervals)", DefaultValueFactory = _ => 0.2f };
        var epochs = new Option<int>("--epochs") { Description = "passes over the training windows", DefaultValueFactory = _ => 100 };
        var minutes = new Option<double?>("--minutes") { Description = "train for this wall-clock budget instead of --epochs" };
        var batch = new Option<int>("--batch") { Description = "windows per update", DefaultValueFactory = _ => 32 };
        var lr = new Option<float>("--lr") { Description = "Adam learning rate", DefaultValueFactory = _ => 1e-3f };
        var schedule = new Option<string>("--schedule") { Description = "constant or cosine (down to --min-lr)", DefaultValueFactory = _ => "constant" };
        var minLr = new Option<float>("--min-lr") { Description = "final learning rate of the cosine schedule", DefaultValueFactory = _ => 1e-5f };
        var clip = new Option<double>("--clip") { Description = "clip the gradient's global norm (0: off)", DefaultValueFactory = _ => 1.0 };
        var patience = new Option<int>("--patience") { Description = "stop after N epochs without a better validation loss (0: never)" };
        var level = new Option<double>("--level") { Description = "nominal coverage of the prediction interval", DefaultValueFactory = _ => 0.9 };
        var mcSamples = new Option<int>("--mc-samples") { Description = "Monte-Carlo dropout passes for the interval", DefaultValueFactory = _ => 100 };
        var seed = new Option<int>("--seed") { Description = "random seed", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads") { Description = "threads for the matrix products (default: all cores)", DefaultValueFactory = _ => Environment.ProcessorCount };
        var output = new Option<string>("--out") { Description = "model file", DefaultValueFactory = _ => "forecast.safetensors" };
        var plot = new Option<string?>("--plot") { Description = "PNG: test range (actual, forecast, interval, best baseline) and loss curve" };
        var json = new Option<bool>("--json") { Description = "print one JSON object" };

        var train = new Command("train", "Train a recurrent forecaster on a CSV column and compare it with baselines on the test range.");
        train.Arguments.Add(csv);
        foreach (var o in new Option[] { target, date, dateParts, features, calendar, fill, window, horizon, strategy, testSize, valFraction, season, arOrder, scale,
                     difference, cell, layers, hidden, dropout, epochs, minutes, batch, lr, schedule, minLr, clip, patience, level, mcSamples, seed, threads, output, plot, json })
            train.Options.Add(o);

        train.SetAction(parse =>
        {
            string path = parse.GetValue(csv)!;
            int nThreads = parse.GetValue(threads);
            if (nThreads < 1) throw new UserException($"--threads must be at least 1, got {nThreads}");
            Recur.Kernels.Gemm.Threads = nThreads;
            var columns = ForecastCli.Columns(parse.GetValue(target)!, parse.GetValue(date), parse.GetValue(dateParts), parse.GetValue(features), parse.GetValue(fill)!);
            bool cal = parse.GetValue(calendar);
            if (cal && columns.Date is null && columns.DateParts is null) throw new UserException("--calendar needs --date or --date-parts");
            int h = parse.GetValue(horizon);
            string strat = ForecastConfig.ParseStrategy(parse.GetValue(strategy)!);
            if (parse.GetValue(mcSamples) < 0) throw new UserException($"--mc-samples must be ≥ 0, got {parse.GetValue(mcSamples)}");
            if (!(parse.GetValue(level) is > 0 and < 1)) throw new UserException($"--level must be in (0, 1), got {parse.GetValue(level)}");
            if (parse.GetValue(season) is { } sp && sp < 1) throw new UserException($"--season must be at least 1, got {sp}");
            var config = new ForecastConfig
            {
                Cell = CellTypes.Parse(parse.GetValue(cell)!).CliName(),
                Hidden = parse.GetValue(hidden),
                Layers = parse.GetValue(layers),
                Dropout = parse.GetValue(dropout),
                Horizon = h,
                Strategy = strat,
                Window = parse.GetValue(window),
                Difference = parse.GetValue(difference),
                Scale = Scaler.Name(Scaler.ParseKind(parse.GetValue(scale)!)),
                Calendar = cal,
                Target = columns.Target,
                Features = columns.Features.ToArray(),
                Date = columns.Date,
                DateParts = columns.DateParts?.ToArray(),
                McSamples = parse.GetValue(mcSamples),
            };
            var training = new ForecastTrainingOptions
            {
                Epochs = parse.GetValue(epochs),
                Minutes = parse.GetValue(minutes),
                Batch = parse.GetValue(batch),
                LearningRate = parse.GetValue(lr),
                Schedule = LearningRateSchedule.ParseKind(parse.GetValue(schedule)!),
                MinLearningRate = parse.GetValue(minLr),
                Clip = parse.GetValue(clip),
                Patience = parse.GetValue(patience),
                Seed = (ulong)parse.GetValue(seed),
            };
            var run = new ForecastRun(stdout, stderr, parse.GetValue(json));
            return run.Train(path, columns, config, training, parse.GetValue(testSize), parse.GetValue(valFraction),
                new EvaluationSettings
                {
                    Horizon = h,
                    Season = parse.GetValue(season),
                    ArOrder = parse.GetValue(arOrder) ?? config.Window,
                    Level = parse.GetValue(level),
                    McSamples = config.McSamples,
                    Seed = training.Seed,
                },
                parse.GetValue(output)!, parse.GetValue(plot));
        });
        return train;
    }
}

/// <summary>Parsing shared by the forecast commands.</summary>
internal static class ForecastCli
{
    public static SeriesColumns Columns(string target, string? date, string? dateParts, string? features, string fill)
    {
        if (date is not null && dateParts is not null) throw new UserException("give --date or --date-parts, not both");
        string[]? parts = dateParts is null ? null : Split(dateParts);
        if (parts is not null && parts.Length != 3) throw new UserException($"--date-parts takes three columns year,month,day, got '{dateParts}'");
        return new SeriesColumns
        {
            Target = target,
            Date = date,
            DateParts = parts,
            Features = features is null ? [] : Split(features),
            Fill = SeriesColumns.ParseFill(fill),
        };
    }

    public static string[] Split(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static string F(double v, string format = "G5") => double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "n/a";
}
