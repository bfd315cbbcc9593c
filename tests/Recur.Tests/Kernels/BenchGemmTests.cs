using System.Text.Json;
using Recur.Bench;
using Recur.Cli;

namespace Recur.Tests.Kernels;

public class BenchGemmTests
{
    [Fact]
    public void Gemm_bench_report_serialises_to_the_design_format()
    {
        // A real (tiny) run: our GEMM and, where installed, OpenBLAS on the same shape.
        var report = GemmBench.Run(threads: 1, repeat: 1, shapes: [new GemmShape(24, 16, 40), new GemmShape(40, 16, 24, TransA: true)]);
        using var doc = JsonDocument.Parse(report.ToJson());
        var root = doc.RootElement;
        Assert.Equal(1, root.GetProperty("machine").GetProperty("threads").GetInt32());
        Assert.Equal(Environment.ProcessorCount, root.GetProperty("machine").GetProperty("cores").GetInt32());
        var results = root.GetProperty("results");
        Assert.Equal(2, results.GetArrayLength());
        var r = results[0];
        Assert.Equal("gemm 24x16x40", r.GetProperty("name").GetString());
        Assert.Equal("GFLOP/s", r.GetProperty("unit").GetString());
        Assert.True(r.GetProperty("ours").GetDouble() > 0);
        bool peer = OpenBlas.TryLoad() != null;
        Assert.Equal(peer ? JsonValueKind.Number : JsonValueKind.Null, r.GetProperty("peer").ValueKind);
        Assert.Equal(peer ? JsonValueKind.String : JsonValueKind.Null, r.GetProperty("peer_name").ValueKind);
        Assert.Equal(peer ? JsonValueKind.Number : JsonValueKind.Null, r.GetProperty("ratio").ValueKind);
        Assert.Contains("gemm 40x16x24", report.ToTable());
    }

    [Fact]
    public void Stats_median_and_range()
    {
        var s = Stats.Of([3.0, 1.0, 2.0, 10.0]);
        Assert.Equal((2.5, 1.0, 10.0), (s.Median, s.Min, s.Max));
        var g = s.Invert(t => 1 / t);
        Assert.Equal((0.4, 0.1, 1.0), (g.Median, g.Min, g.Max));
    }

    [Fact]
    public void Bad_bench_options_are_one_line_errors()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Assert.Equal(CliApp.UserError, CliApp.Run(["bench", "gemm", "--threads", "0"], stdout, stderr));
        Assert.Equal("recur: --threads must be at least 1, got 0", stderr.ToString().Trim());
        stderr.GetStringBuilder().Clear();
        Assert.Equal(CliApp.Usage, CliApp.Run(["bench", "gemm", "--repeat", "x"], stdout, stderr));
        Assert.StartsWith("recur: ", stderr.ToString());
        Assert.Equal("", stdout.ToString());
    }
}
