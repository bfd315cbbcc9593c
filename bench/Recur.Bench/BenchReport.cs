using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Recur.Bench;

/// <summary>The machine a benchmark ran on (DESIGN.md §6: <c>"machine"</c>).</summary>
public sealed record MachineInfo(
    [property: JsonPropertyName("cpu")] string Cpu,
    [property: JsonPropertyName("cores")] int Cores,
    [property: JsonPropertyName("threads")] int Threads)
{
    /// <summary>This machine: CPU model name (from /proc/cpuinfo where present), logical cores, threads used.</summary>
    public static MachineInfo Current(int threads) => new(CpuName(), Environment.ProcessorCount, threads);

    public static string CpuName()
    {
        try
        {
            if (File.Exists("/proc/cpuinfo"))
                foreach (var line in File.ReadLines("/proc/cpuinfo"))
                    if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':') is int i and >= 0)
                        return line[(i + 1)..].Trim();
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
    }
}

/// <summary>
/// One benchmark line: our median and spread, and the in-process peer where one ran (null otherwise).
/// ratio = ours / peer (higher is better for throughput units).
/// </summary>
public sealed record BenchResult(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("unit")] string Unit,
    [property: JsonPropertyName("ours")] double Ours,
    [property: JsonPropertyName("min")] double? Min,
    [property: JsonPropertyName("max")] double? Max,
    [property: JsonPropertyName("peer")] double? Peer,
    [property: JsonPropertyName("peer_name")] string? PeerName,
    [property: JsonPropertyName("ratio")] double? Ratio)
{
    [JsonPropertyName("peer_min")] public double? PeerMin { get; init; }
    [JsonPropertyName("peer_max")] public double? PeerMax { get; init; }

    /// <summary>A result from our and (optionally) the peer's throughput samples.</summary>
    public static BenchResult From(string name, string unit, Stats ours, Stats? peer, string? peerName) =>
        new(name, unit, Round(ours.Median), Round(ours.Min), Round(ours.Max),
            peer is { } p ? Round(p.Median) : null, peer is null ? null : peerName,
            peer is { } q && q.Median > 0 ? Math.Round(ours.Median / q.Median, 3) : null)
        {
            PeerMin = peer is { } a ? Round(a.Min) : null,
            PeerMax = peer is { } b ? Round(b.Max) : null,
        };

    private static double Round(double x) => Math.Round(x, x >= 100 ? 1 : 2);
}

/// <summary>A benchmark run: machine and results; prints as DESIGN.md §6 JSON or as a table.</summary>
public sealed class BenchReport(MachineInfo machine)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    [JsonPropertyName("machine")] public MachineInfo Machine { get; } = machine;
    [JsonPropertyName("results")] public List<BenchResult> Results { get; } = [];

    /// <summary>Notes for the table (e.g. "OpenBLAS not found"); not part of the JSON.</summary>
    [JsonIgnore] public List<string> Notes { get; } = [];

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>A readable, aligned table: name, ours median (min–max), peer median (min–max), ratio.</summary>
    public string ToTable()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"cpu: {Machine.Cpu}, cores: {Machine.Cores}, threads: {Machine.Threads}");
        string? peerName = Results.FirstOrDefault(r => r.PeerName != null)?.PeerName;
        var rows = new List<string[]> { new[] { "name", "unit", "ours (median)", "min–max", peerName ?? "peer", "min–max", "ratio" } };
        foreach (var r in Results)
            rows.Add([r.Name, r.Unit, F(r.Ours), $"{F(r.Min)}–{F(r.Max)}",
                r.Peer is null ? "-" : F(r.Peer), r.Peer is null ? "-" : $"{F(r.PeerMin)}–{F(r.PeerMax)}",
                r.Ratio is null ? "-" : r.Ratio.Value.ToString("0.00")]);
        int[] width = new int[rows[0].Length];
        foreach (var row in rows) for (int i = 0; i < row.Length; i++) width[i] = Math.Max(width[i], row[i].Length);
        foreach (var row in rows)
        {
            for (int i = 0; i < row.Length; i++)
                sb.Append(i < 2 ? row[i].PadRight(width[i]) : row[i].PadLeft(width[i])).Append(i + 1 < row.Length ? "  " : "");
            sb.AppendLine();
        }
        foreach (var note in Notes) sb.AppendLine(note);
        return sb.ToString();
    }

    private static string F(double? x) => x is null ? "-" : x.Value.ToString(x.Value >= 100 ? "0.0" : "0.00");
}
