using System.CommandLine;
using Recur.Bench;

namespace Recur.Cli;

/// <summary>`recur bench ...`: throughput benchmarks (implementations in bench/Recur.Bench).</summary>
public static class BenchCommand
{
    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var bench = new Command("bench", "Throughput benchmarks: GEMM, recurrent layers, the anchor configurations.");
        bench.Subcommands.Add(BuildGemm(stdout, stderr));
        bench.Subcommands.Add(LayerBenchCommands.BuildLayer(stdout, stderr));
        foreach (var anchor in LayerBenchCommands.BuildAnchors(stdout, stderr)) bench.Subcommands.Add(anchor);
        bench.Subcommands.Add(LayerBenchCommands.BuildStream(stdout, stderr));
        bench.Subcommands.Add(BuildCores(stdout));
        return bench;
    }

    private static Command BuildCores(TextWriter stdout)
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object (DESIGN.md §6) instead of a table." };
        var repeat = new Option<int>("--repeat") { Description = "Timed samples after warm-up; the median is reported.", DefaultValueFactory = _ => 9 };
        var cmd = new Command("cores", "Nanoseconds for one cache line's round trip between two threads: how the host placed its cores "
            + "(on the 2-vCPU hosts here 65–90 ns or 330–350 ns; two-thread figures drop in the second placement).")
        {
            json, repeat,
        };
        cmd.SetAction(parse =>
        {
            int r = parse.GetValue(repeat);
            if (r < 1) throw new UserException($"--repeat must be at least 1, got {r}");
            Stats stats;
            try { stats = CoreLatency.Run(r); }
            catch (InvalidOperationException e) { throw new UserException(e.Message); }
            var report = new BenchReport(MachineInfo.Current(2));
            report.Results.Add(BenchResult.From("cores: cache-line round trip", "ns", stats, null, null));
            stdout.Write(parse.GetValue(json) ? report.ToJson() + Environment.NewLine : report.ToTable());
            return CliApp.Ok;
        });
        return cmd;
    }

    private static Command BuildGemm(TextWriter stdout, TextWriter stderr)
    {
        var threads = new Option<int>("--threads") { Description = "Threads for both libraries (default: all cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (DESIGN.md §6) instead of a table." };
        var repeat = new Option<int>("--repeat") { Description = "Timed samples per shape after warm-up; the median is reported.", DefaultValueFactory = _ => 7 };
        var cmd = new Command("gemm", "SGEMM GFLOP/s on square and recurrent shapes; OpenBLAS side by side when installed.")
        {
            threads, json, repeat,
        };
        cmd.SetAction(parse =>
        {
            int t = parse.GetValue(threads), r = parse.GetValue(repeat);
            if (t < 1) throw new UserException($"--threads must be at least 1, got {t}");
            if (r < 1) throw new UserException($"--repeat must be at least 1, got {r}");
            bool asJson = parse.GetValue(json);
            Action<string>? log = Console.IsErrorRedirected ? null : line => stderr.WriteLine(line);
            var report = GemmBench.Run(t, r, log: log);
            stdout.Write(asJson ? report.ToJson() + Environment.NewLine : report.ToTable());
            return CliApp.Ok;
        });
        return cmd;
    }
}
