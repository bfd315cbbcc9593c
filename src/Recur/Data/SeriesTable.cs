namespace Recur.Data;

/// <summary>What to do with a row whose target or feature value is missing or not a number.</summary>
public enum FillMode
{
    /// <summary>Fail, naming every such row by its line number.</summary>
    None,
    /// <summary>Take the value of the previous row (leading rows that have none are dropped).</summary>
    Forward,
    /// <summary>Leave the row out.</summary>
    Drop,
}

/// <summary>Which columns of a CSV file make a forecasting series.</summary>
public sealed record SeriesColumns
{
    /// <summary>The column to forecast.</summary>
    public required string Target { get; init; }
    /// <summary>Extra numeric input columns (observed alongside the target).</summary>
    public IReadOnlyList<string> Features { get; init; } = [];
    /// <summary>A date column (ISO 8601 or any invariant-culture date), or null.</summary>
    public string? Date { get; init; }
    /// <summary>Year, month and day columns that together make the date (as in the births file), or null.</summary>
    public IReadOnlyList<string>? DateParts { get; init; }
    public FillMode Fill { get; init; } = FillMode.None;

    public static FillMode ParseFill(string name) => name.Trim().ToLowerInvariant() switch
    {
        "none" or "fail" => FillMode.None,
        "forward" or "ffill" => FillMode.Forward,
        "drop" => FillMode.Drop,
        _ => throw new ArgumentException($"unknown fill mode '{name}' (known: forward, drop)"),
    };
}

/// <summary>A row that was forward-filled or dropped, by its line number in the file (the header is line 1).</summary>
public sealed record RepairedRow(long Line, string Column, string Value, FillMode Action);

/// <summary>
/// A loaded series: the target <c>[N]</c>, each feature column <c>[N]</c>, the dates <c>[N]</c> if the file has
/// them, and the CSV line of every row kept (for messages).
/// </summary>
public sealed class SeriesTable
{
    public SeriesTable(double[] target, IReadOnlyList<double[]> features, IReadOnlyList<string> featureNames,
        DateOnly[]? dates, long[] lines, IReadOnlyList<RepairedRow> repaired, string targetName = "target")
    {
        if (features.Count != featureNames.Count) throw new ArgumentException("series: one name per feature column");
        foreach (var f in features)
            if (f.Length != target.Length) throw new ArgumentException("series: every feature column needs one value per row");
        if (dates is not null && dates.Length != target.Length) throw new ArgumentException("series: one date per row");
        Target = target;
        Features = features;
        FeatureNames = featureNames;
        Dates = dates;
        Lines = lines;
        Repaired = repaired;
        TargetName = targetName;
    }

    /// <summary>A table of a bare series (tests, generated data).</summary>
    public static SeriesTable FromValues(double[] target, DateOnly[]? dates = null) =>
        new(target, [], [], dates, Enumerable.Range(2, target.Length).Select(i => (long)i).ToArray(), []);

    public string TargetName { get; }
    public double[] Target { get; }
    public IReadOnlyList<double[]> Features { get; }
    public IReadOnlyList<string> FeatureNames { get; }
    public DateOnly[]? Dates { get; }
    public long[] Lines { get; }
    public IReadOnlyList<RepairedRow> Repaired { get; }
    public int Count => Target.Length;
}
