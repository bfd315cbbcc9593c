using System.Globalization;

namespace Recur.Cli;

/// <summary>The <c>--cells</c> value of <c>recur visualize</c>: <c>auto</c>, or a comma-separated list of cells,
/// each <c>UNIT</c> (a cell of the last layer) or <c>LAYER:UNIT</c> (layer 1-based, unit 0-based).</summary>
internal static class CellList
{
    /// <summary>The chosen cells (0-based layer and unit), empty for <c>auto</c>.</summary>
    public static IReadOnlyList<(int Layer, int Unit)> Parse(string value, int layers, int units)
    {
        if (string.Equals(value.Trim(), "auto", StringComparison.OrdinalIgnoreCase)) return [];
        var cells = new List<(int, int)>();
        foreach (string raw in value.Split(','))
        {
            string item = raw.Trim();
            string[] parts = item.Split(':');
            if (item.Length == 0 || parts.Length > 2 || !parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
                throw new UserException($"--cells: '{item}' is not a cell: use auto, or a list like 3,17 (last layer) or 1:3,2:17 (layer:cell)");
            int layer = parts.Length == 2 ? int.Parse(parts[0], CultureInfo.InvariantCulture) : layers;
            int unit = int.Parse(parts[^1], CultureInfo.InvariantCulture);
            if (layer < 1 || layer > layers)
                throw new UserException($"--cells: layer {layer} does not exist (the model has {layers} layer(s), numbered from 1)");
            if (unit >= units)
                throw new UserException($"--cells: cell {unit} does not exist (layers have {units} cells, numbered from 0)");
            cells.Add((layer - 1, unit));
        }
        return cells;
    }
}
