using ScottPlot;

namespace Recur.Reports;

/// <summary>
/// The forecast report as one PNG of two panels (ScottPlot multiplot): on top the actual series over the test range,
/// the model's forecast with its interval band and the best baseline dashed; below, the training and validation
/// loss per epoch.
/// </summary>
public static class ForecastPlot
{
    public sealed record Panel(double[] X, double[] Actual, double[] Forecast, double[]? Lower, double[]? Upper,
        string? BaselineName, double[]? Baseline, string Title, string XLabel, string YLabel, double[]? History = null, double[]? HistoryX = null, bool DateAxis = false);

    /// <summary>Writes <paramref name="path"/> atomically. <paramref name="trainLoss"/>/<paramref name="valLoss"/> per epoch
    /// (null: one panel only).</summary>
    public static void Save(string path, Panel top, IReadOnlyList<double>? trainLoss, IReadOnlyList<double>? valLoss,
        int width = 1200, int height = 900)
    {
        var mp = new Multiplot();   // starts with one plot
        var p1 = mp.Count() > 0 ? mp.GetPlot(0) : mp.AddPlot();
        if (top.Lower is not null && top.Upper is not null)
        {
            var band = p1.Add.FillY(top.X, top.Lower, top.Upper);
            band.FillColor = Colors.SteelBlue.WithAlpha(0.25);
            band.LineWidth = 0;
            band.LegendText = "interval";
        }
        if (top.History is not null && top.HistoryX is not null)
        {
            var h = p1.Add.ScatterLine(top.HistoryX, top.History, Colors.Gray);
            h.LegendText = "history";
            h.LineWidth = 1.5f;
        }
        if (top.Actual.Length > 0)
        {
            var a = p1.Add.ScatterLine(top.X[..top.Actual.Length], top.Actual, Colors.Black);
            a.LegendText = "actual";
            a.LineWidth = 2;
        }
        var f = p1.Add.ScatterLine(top.X, top.Forecast, Colors.SteelBlue);
        f.LegendText = "forecast";
        f.LineWidth = 2;
        if (top.Baseline is not null)
        {
            var b = p1.Add.ScatterLine(top.X, top.Baseline, Colors.OrangeRed);
            b.LegendText = top.BaselineName ?? "baseline";
            b.LinePattern = LinePattern.Dashed;
            b.LineWidth = 1.5f;
        }
        if (top.DateAxis) p1.Axes.DateTimeTicksBottom();
        p1.Title(top.Title);
        p1.XLabel(top.XLabel);
        p1.YLabel(top.YLabel);
        p1.ShowLegend(Alignment.UpperLeft);

        if (trainLoss is { Count: > 0 })
        {
            var p2 = mp.AddPlot();
            var ex = Enumerable.Range(1, trainLoss.Count).Select(i => (double)i).ToArray();
            var t = p2.Add.ScatterLine(ex, trainLoss.ToArray(), Colors.SteelBlue);
            t.LegendText = "train";
            t.LineWidth = 2;
            if (valLoss is { Count: > 0 } && valLoss.All(double.IsFinite))
            {
                var v = p2.Add.ScatterLine(ex, valLoss.ToArray(), Colors.OrangeRed);
                v.LegendText = "validation";
                v.LineWidth = 2;
            }
            if (ex.Length == 1) t.MarkerSize = 8;
            p2.Title("loss (MSE on the scaled target)");
            p2.XLabel("epoch");
            p2.YLabel("MSE");
            p2.ShowLegend(Alignment.UpperRight);
        }

        string full = System.IO.Path.GetFullPath(path);
        string? dir = System.IO.Path.GetDirectoryName(full);
        if (dir != null && !Directory.Exists(dir)) throw new DirectoryNotFoundException($"plot: directory does not exist: {dir}");
        string tmp = full + ".tmp";
        mp.SavePng(tmp, width, height);
        File.Move(tmp, full, overwrite: true);
    }
}
