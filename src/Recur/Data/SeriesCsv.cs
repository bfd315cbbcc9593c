using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;

namespace Recur.Data;

/// <summary>
/// Reads a forecasting series from a CSV file with a header row (CsvHelper, invariant culture): the target column,
/// optional feature columns and an optional date (one column, or year/month/day columns). Rows with a missing or
/// non-numeric value fail with one line that names their line numbers, unless <see cref="SeriesColumns.Fill"/>
/// asks to forward-fill or drop them. A bad date always fails (dates are not filled).
/// </summary>
public static class SeriesCsv
{
    private const int LinesNamed = 5;

    public static SeriesTable Load(string path, SeriesColumns columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        if (columns.Date is not null && columns.DateParts is not null)
            throw new ArgumentException("give either a date column or date parts, not both");
        if (columns.DateParts is not null && columns.DateParts.Count != 3)
            throw new ArgumentException($"date parts are three columns: year,month,day (got {columns.DateParts.Count})");
        if (!File.Exists(path)) throw new FileNotFoundException($"CSV file not found: {path}", path);

        using var csv = new CsvReader(new StreamReader(path), new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            DetectDelimiter = true,
            IgnoreBlankLines = true,
            TrimOptions = TrimOptions.Trim,
            BadDataFound = null,
            MissingFieldFound = null,
        });
        if (!csv.Read()) throw new InvalidDataException($"{path}: empty file (a header row is needed)");
        csv.ReadHeader();
        var header = csv.HeaderRecord ?? [];
        if (header.Length == 0) throw new InvalidDataException($"{path}: no header row");

        int Find(string name)
        {
            int i = Array.FindIndex(header, h => h == name);
            if (i < 0) i = Array.FindIndex(header, h => string.Equals(h.Trim(), name.Trim(), StringComparison.OrdinalIgnoreCase));
            if (i < 0) throw new InvalidDataException($"{path}: no column '{name}' (columns: {string.Join(", ", header)})");
            return i;
        }
        string[] numericNames = [columns.Target, .. columns.Features];
        int[] numeric = numericNames.Select(Find).ToArray();
        int date = columns.Date is null ? -1 : Find(columns.Date);
        int[]? parts = columns.DateParts?.Select(Find).ToArray();

        var rows = new List<double[]>();
        var dates = new List<DateOnly>();
        var lines = new List<long>();
        var repaired = new List<RepairedRow>();
        var bad = new List<string>();
        int badCount = 0;
        double[]? previous = null;
        while (csv.Read())
        {
            long line = csv.Parser.RawRow;
            string Field(int i) => i < csv.Parser.Count ? csv.GetField(i) ?? "" : "";

            DateOnly? day = null;
            if (date >= 0)
            {
                string raw = Field(date);
                if (!DateTime.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces, out var dt))
                    throw new InvalidDataException($"{path} line {line}: column '{columns.Date}' value '{raw}' is not a date");
                day = DateOnly.FromDateTime(dt);
            }
            else if (parts is not null)
            {
                var ymd = new int[3];
                for (int k = 0; k < 3; k++)
                    if (!int.TryParse(Field(parts[k]), NumberStyles.Integer, CultureInfo.InvariantCulture, out ymd[k]))
                        throw new InvalidDataException($"{path} line {line}: column '{columns.DateParts![k]}' value '{Field(parts[k])}' is not a whole number");
                try { day = new DateOnly(ymd[0], ymd[1], ymd[2]); }
                catch (ArgumentOutOfRangeException) { throw new InvalidDataException($"{path} line {line}: {ymd[0]}-{ymd[1]}-{ymd[2]} is not a date"); }
            }

            var values = new double[numeric.Length];
            bool dropped = false;
            for (int c = 0; c < numeric.Length; c++)
            {
                string raw = Field(numeric[c]);
                if (double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v))
                {
                    values[c] = v;
                    continue;
                }
                string what = raw.Length == 0 ? "missing" : $"'{raw}'";
                switch (columns.Fill)
                {
                    case FillMode.None:
                        badCount++;
                        if (bad.Count < LinesNamed) bad.Add($"line {line} ({numericNames[c]} {what})");
                        break;
                    case FillMode.Forward when previous is not null:
                        values[c] = previous[c];
                        repaired.Add(new RepairedRow(line, numericNames[c], raw, FillMode.Forward));
                        break;
                    default:
                        if (!dropped) repaired.Add(new RepairedRow(line, numericNames[c], raw, FillMode.Drop));
                        dropped = true;
                        break;
                }
            }
            if (dropped) continue;
            rows.Add(values);
            previous = values;
            lines.Add(line);
            if (day is { } d) dates.Add(d);
        }
        if (badCount > 0)
        {
            string more = badCount > bad.Count ? $" and {badCount - bad.Count} more" : "";
            throw new InvalidDataException(
                $"{path}: {badCount} missing or non-numeric value{(badCount == 1 ? "" : "s")}: {string.Join(", ", bad)}{more} (use --fill forward or --fill drop)");
        }
        if (rows.Count == 0) throw new InvalidDataException($"{path}: no data rows");
        if (dates.Count > 1)
            for (int i = 1; i < dates.Count; i++)
                if (dates[i] <= dates[i - 1])
                    throw new InvalidDataException($"{path} line {lines[i]}: date {dates[i]:yyyy-MM-dd} does not follow {dates[i - 1]:yyyy-MM-dd} (rows must be in time order)");

        var target = rows.Select(r => r[0]).ToArray();
        var features = Enumerable.Range(1, numeric.Length - 1).Select(c => rows.Select(r => r[c]).ToArray()).ToArray();
        return new SeriesTable(target, features, columns.Features.ToArray(), dates.Count > 0 ? dates.ToArray() : null,
            lines.ToArray(), repaired, columns.Target);
    }
}
