using ScottPlot;

namespace Recur.Reports;

/// <summary>The learning curve of a training run as a PNG (ScottPlot): training and validation loss per update.</summary>
public static class LossCurvePlot
{
    /// <summary>Writes <paramref name="path"/> atomically (temporary file, rename).</summary>
    public static void Save(string path, IReadOnlyList<double> steps, IReadOnlyList<double> train, IReadOnlyList<double> validation,
        string title, string yLabel = "bits per character", int width = 1000, int height = 500)
    {
        if (steps.Count == 0) throw new ArgumentException("loss curve: no points");
        if (train.Count != steps.Count || validation.Count != steps.Count) throw new ArgumentException("loss curve: series lengths differ");
        var plot = new Plot();
        var x = steps.ToArray();
        var t = plot.Add.ScatterLine(x, train.ToArray(), Colors.SteelBlue);
        t.LegendText = "train";
        t.LineWidth = 2;
        var v = plot.Add.ScatterLine(x, validation.ToArray(), Colors.OrangeRed);
        v.LegendText = "validation";
        v.LineWidth = 2;
        if (x.Length == 1) { t.MarkerSize = 8; v.MarkerSize = 8; }
        plot.Title(title);
        plot.XLabel("update");
        plot.YLabel(yLabel);
        plot.ShowLegend(Alignment.UpperRight);
        string full = System.IO.Path.GetFullPath(path);
        string tmp = full + ".tmp";
        plot.SavePng(tmp, width, height);
        File.Move(tmp, full, overwrite: true);
    }
}
