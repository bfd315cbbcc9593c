using ScottPlot;

namespace Recur.Reports;

/// <summary>A named line: y values over the plot's shared x values; optionally dashed.</summary>
public sealed record LineSeries(string Name, double[] Y, bool Dashed = false);

/// <summary>Line plots saved as PNG (ScottPlot): several named series against one x axis.</summary>
public static class LinePlot
{
    /// <summary>
    /// Writes a PNG to <paramref name="path"/> (atomically: a temporary file, then a rename).
    /// <paramref name="markers"/> adds labelled vertical lines (for example the prediction horizon); <paramref name="legend"/> places the legend.
    /// </summary>
    public static void Save(string path, double[] x, IReadOnlyList<LineSeries> series, string title,
        string xLabel = "", string yLabel = "", IReadOnlyList<(double X, string Label)>? markers = null,
        int width = 1200, int height = 500, Alignment legend = Alignment.UpperRight)
    {
        if (series.Count == 0) throw new ArgumentException("plot: no series");
        foreach (var s in series)
            if (s.Y.Length != x.Length) throw new ArgumentException($"plot: series '{s.Name}' has {s.Y.Length} values, x has {x.Length}");
        if (width < 50 || height < 50) throw new ArgumentException($"plot: size {width}x{height} is too small");

        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < series.Count; i++)
        {
            var line = plot.Add.ScatterLine(x, series[i].Y, palette.GetColor(i));
            line.LegendText = series[i].Name;
            line.LineWidth = i == 0 ? 2 : 1.5f;
            if (series[i].Dashed) line.LinePattern = LinePattern.Dashed;
        }
        if (markers != null)
            foreach (var (mx, label) in markers)
            {
                var v = plot.Add.VerticalLine(mx, 1, Colors.Gray, LinePattern.Dotted);
                v.LegendText = label;
            }
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend(legend);

        string full = Path.GetFullPath(path);
        string? dir = Path.GetDirectoryName(full);
        if (dir != null && !Directory.Exists(dir)) throw new DirectoryNotFoundException($"plot: directory does not exist: {dir}");
        string tmp = full + ".tmp";
        plot.SavePng(tmp, width, height);
        File.Move(tmp, full, overwrite: true);
    }
}
