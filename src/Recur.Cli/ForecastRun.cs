using System.Diagnostics;
using Recur.Data;
using Recur.Reports;
using Recur.Tasks;
using static Recur.Cli.ForecastCli;

namespace Recur.Cli;

/// <summary>`recur forecast train`: load, split, train, judge against the baselines, save, print, plot.</summary>
internal sealed class ForecastRun(TextWriter stdout, TextWriter stderr, bool json)
{
    public int Train(string path, SeriesColumns columns, ForecastConfig config, ForecastTrainingOptions training,
        int testSize, double valFraction, EvaluationSettings evaluation, string outPath, string? plotPath)
    {
        var wall = Stopwatch.StartNew();
        var table = SeriesCsv.Load(path, columns);
        var frame = new ForecastFrame(table, config.ToFrameSettings(testSize, valFraction) with { Horizon = config.Recursive ? 1 : config.Horizon });
        if (evaluation.Horizon > frame.Count - frame.TestStart) throw new UserException($"--horizon {evaluation.Horizon} is longer than the test range ({frame.Count - frame.TestStart} points)");
        var model = ForecastModel.Create(config, frame, training.Seed);
        bool progress = !json && CliCommon.IsTerminal(stderr);
        if (!json)
        {
            stdout.WriteLine($"forecast {path} [{table.TargetName}]: {table.Count} rows; train {frame.ValStart - frame.First} points, " +
                             $"validation {frame.TestStart - frame.ValStart}, test {frame.Count - frame.TestStart}" +
                             (table.Repaired.Count > 0 ? $"; {Repairs(table.Repaired)} (first: line {table.Repaired[0].Line})" : ""));
            stdout.WriteLine($"model: {config.Cell.ToUpperInvariant()} {config.Layers}×{config.Hidden}, dropout {F(config.Dropout)}, window {config.Window}, " +
                             $"{frame.InputSize} input{(frame.InputSize == 1 ? "" : "s")}, scale {config.Scale}{(config.Difference ? ", differenced" : "")}, " +
                             $"{(config.Horizon == 1 ? "one-step" : $"{config.Horizon} steps {config.Strategy}")}; {model.Network.ParameterCount} parameters");
        }
        var trainer = new ForecastTrainer(model, frame, training);
        ForecastTrainingSummary summary;
        try
        {
            summary = trainer.Run(e =>
            {
                if (progress)
                    stderr.Write($"\repoch {e.Epoch}{(training.Minutes is null ? $"/{training.Epochs}" : "")}  train {F(e.TrainLoss, "G4")}  val {F(e.ValLoss, "G4")}  {CliCommon.Duration(e.Seconds)}   ");
            });
        }
        catch (ForecastDivergedException e) { throw new UserException(e.Message); }
        if (progress) stderr.WriteLine();

        model.SetResidualSigma(ForecastEvaluation.ResidualSigma(model, frame, config.Horizon));
        model.Save(outPath);
        var report = ForecastEvaluation.Run(model, frame, evaluation);
        if (plotPath is not null) WritePlot(plotPath, frame, report, summary, config);

        if (json)
        {
            CliCommon.WriteJson(stdout, new Dictionary<string, object?>
            {
                ["csv"] = path,
                ["target"] = table.TargetName,
                ["rows"] = table.Count,
                ["repaired_rows"] = table.Repaired.Select(r => new { line = r.Line, column = r.Column, action = r.Action.ToString().ToLowerInvariant() }).ToArray(),
                ["train_points"] = frame.ValStart - frame.First,
                ["validation_points"] = frame.TestStart - frame.ValStart,
                ["test_points"] = frame.Count - frame.TestStart,
                ["config"] = System.Text.Json.JsonSerializer.SerializeToElement(model.Config, Recur.Models.ModelFile.Json),
                ["parameters"] = model.Network.ParameterCount,
                ["epochs"] = summary.Epochs,
                ["updates"] = summary.Updates,
                ["train_seconds"] = summary.Seconds,
                ["best_epoch"] = summary.BestEpoch,
                ["best_val_loss"] = Num(summary.BestValLoss),
                ["stop_reason"] = summary.StopReason,
                ["history"] = summary.History.Select(e => new { epoch = e.Epoch, train_loss = Num(e.TrainLoss), val_loss = Num(e.ValLoss), seconds = e.Seconds }).ToArray(),
                ["horizon"] = report.Horizon,
                ["forecasts"] = report.TestPoints,
                ["season"] = report.Season,
                ["season_detected"] = report.SeasonDetected,
                ["results"] = report.Results.Select(r => new Dictionary<string, object?>
                {
                    ["name"] = r.Name, ["rmse"] = Num(r.Scores.Rmse), ["mae"] = Num(r.Scores.Mae), ["mape"] = Num(r.Scores.Mape),
                    ["smape"] = Num(r.Scores.Smape), ["mase"] = Num(r.Scores.Mase), ["rmse_by_step"] = r.RmseByStep.Select(Num).ToArray(),
                }).ToArray(),
                ["not_beaten"] = report.NotBeaten.Select(b => b.Name).ToArray(),
                ["interval_level"] = report.Level,
                ["interval_coverage"] = report.Coverage,
                ["interval_mean_width"] = report.MeanIntervalWidth,
                ["model"] = outPath,
                ["plot"] = plotPath,
                ["seconds"] = wall.Elapsed.TotalSeconds,
            });
            return CliApp.Ok;
        }
        stdout.WriteLine($"trained {summary.Epochs} epochs ({summary.Updates} updates) in {CliCommon.Duration(summary.Seconds)}, stopped by {summary.StopReason}; " +
                         $"best validation MSE {F(summary.BestValLoss, "G4")} at epoch {summary.BestEpoch} (weights kept)");
        PrintReport(stdout, report);
        stdout.WriteLine($"model: {outPath}{(plotPath is null ? "" : $"; plot: {plotPath}")}; time {CliCommon.Duration(wall.Elapsed.TotalSeconds)}");
        return CliApp.Ok;
    }

    public static void PrintReport(TextWriter stdout, ForecastReport report)
    {
        string steps = report.Horizon == 1 ? "one step ahead" : $"1…{report.Horizon} steps ahead from each";
        string season = report.Season is { } m ? $"season {m}{(report.SeasonDetected ? " (detected)" : "")}" : "no season detected (MASE against persistence)";
        stdout.WriteLine();
        stdout.WriteLine($"test: {report.TestPoints} forecast origins, {steps}; {season}");
        stdout.WriteLine($"{"forecaster",-22}{"RMSE",12}{"MAE",12}{"MAPE %",9}{"sMAPE %",9}{"MASE",8}");
        foreach (var r in report.Results)
        {
            var s = r.Scores;
            stdout.WriteLine($"{r.Name,-22}{F(s.Rmse),12}{F(s.Mae),12}{F(s.Mape, "F2"),9}{F(s.Smape, "F2"),9}{F(s.Mase, "F3"),8}");
        }
        if (report.Horizon > 1)
        {
            stdout.WriteLine("RMSE by step ahead:");
            foreach (var r in report.Results)
                stdout.WriteLine($"  {r.Name,-20}{string.Join(" ", r.RmseByStep.Select(v => F(v).PadLeft(9)))}");
        }
        stdout.WriteLine($"{report.Level * 100:0.#}% interval (MC dropout + validation residuals): covers {report.Coverage * 100:F1}% of test points, mean width {F(report.MeanIntervalWidth)}");
        var model = report.ModelResult;
        var lost = report.NotBeaten.ToList();
        if (lost.Count == 0)
            stdout.WriteLine($"The model beat every baseline on RMSE (best baseline: {report.BestBaseline}, RMSE {F(report.Results.First(r => r.Name == report.BestBaseline).Scores.Rmse)} vs {F(model.Scores.Rmse)}).");
        else
            stdout.WriteLine("The model did NOT beat: " + string.Join(", ", lost.Select(b => $"{b.Name} (RMSE {F(b.Scores.Rmse)} vs the model's {F(model.Scores.Rmse)})")) + ".");
    }

    private static void WritePlot(string path, ForecastFrame frame, ForecastReport report, ForecastTrainingSummary summary, ForecastConfig config)
    {
        var x = report.Times.Select(t => frame.Table.Dates is { } d ? d[t].ToDateTime(TimeOnly.MinValue).ToOADate() : t).ToArray();
        var panel = new ForecastPlot.Panel(x, report.Actual, report.Model, report.Lower, report.Upper, report.BestBaseline, report.BestBaselineForecast,
            $"{frame.Table.TargetName}: test range, {(report.Horizon == 1 ? "one step ahead" : "step 1 of " + report.Horizon)}; " +
            $"{config.Cell.ToUpperInvariant()} RMSE {F(report.ModelResult.Scores.Rmse)}, {report.BestBaseline} {F(report.Results.First(r => r.Name == report.BestBaseline).Scores.Rmse)}",
            frame.Table.Dates is null ? "time step" : "date", frame.Table.TargetName, DateAxis: frame.Table.Dates is not null);
        ForecastPlot.Save(path, panel, summary.History.Select(e => e.TrainLoss).ToList(), summary.History.Select(e => e.ValLoss).ToList());
    }

    private static string Repairs(IReadOnlyList<RepairedRow> repaired)
    {
        int dropped = repaired.Count(r => r.Action == FillMode.Drop), filled = repaired.Count - dropped;
        var parts = new List<string>();
        if (filled > 0) parts.Add($"{filled} value{(filled == 1 ? "" : "s")} forward-filled");
        if (dropped > 0) parts.Add($"{dropped} row{(dropped == 1 ? "" : "s")} dropped");
        return string.Join(", ", parts);
    }

    private static double? Num(double v) => double.IsFinite(v) ? v : null;
}
