using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;

namespace Recur.Data;

/// <summary>
/// Numeric time series from CSV files with a header row: columns chosen by name, values parsed with the
/// invariant culture. Every problem is an <see cref="InvalidDataException"/> (or a
/// <see cref="FileNotFoundException"/>) whose one-line message names the file and, for a bad value,
/// its line and column.
/// </summary>
public static class CsvSeries
{
    /// <summary>The header's column names.</summary>
    public static IReadOnlyList<string> Columns(string path)
    {
        using var csv = Open(path);
        return ReadHeader(csv, path);
    }

    /// <summary>One column as a series.</summary>
    public static double[] Load(string path, string column) => Load(path, [column]);

    /// <summary>Several columns, row-major [rows, columns.Count] (time-major).</summary>
    public static double[] Load(string path, IReadOnlyList<string> columns)
    {
        if (columns.Count == 0) throw new ArgumentException("csv: no column requested");
        using var csv = Open(path);
        var header = ReadHeader(csv, path);
        var index = new int[columns.Count];
        for (int c = 0; c < columns.Count; c++)
        {
            index[c] = IndexOf(header, columns[c]);
            if (index[c] < 0)
                throw new InvalidDataException($"{path}: no column '{columns[c]}' (columns: {string.Join(", ", header)})");
        }
        var values = new List<double>();
        while (csv.Read())
        {
            long line = csv.Parser.RawRow;
            for (int c = 0; c < columns.Count; c++)
            {
                string? raw = index[c] < csv.Parser.Count ? csv.GetField(index[c]) : null;
                if (string.IsNullOrWhiteSpace(raw))
                    throw new InvalidDataException($"{path} line {line}: column '{columns[c]}' has no value");
                if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
                    throw new InvalidDataException($"{path} line {line}: column '{columns[c]}' value '{raw.Trim()}' is not a number");
                values.Add(v);
            }
        }
        if (values.Count == 0) throw new InvalidDataException($"{path}: no data rows");
        return values.ToArray();
    }

    private static int IndexOf(string[] header, string name)
    {
        for (int i = 0; i < header.Length; i++) if (header[i] == name) return i;
        for (int i = 0; i < header.Length; i++) if (string.Equals(header[i].Trim(), name.Trim(), StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }

    private static CsvReader Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"CSV file not found: {path}", path);
        var config = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            DetectDelimiter = true,
            IgnoreBlankLines = true,
            TrimOptions = TrimOptions.Trim,
            BadDataFound = null,
            MissingFieldFound = null,
        };
        return new CsvReader(new StreamReader(path), config);
    }

    private static string[] ReadHeader(CsvReader csv, string path)
    {
        if (!csv.Read()) throw new InvalidDataException($"{path}: empty file (a header row is needed)");
        csv.ReadHeader();
        var header = csv.HeaderRecord;
        if (header is null || header.Length == 0) throw new InvalidDataException($"{path}: no header row");
        return header;
    }
}
