using System.CommandLine;

namespace Recur.Cli;

/// <summary>`recur bench ...`: throughput benchmarks (implementations in bench/Recur.Bench).</summary>
public static class BenchCommand
{
    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var bench = new Command("bench", "Throughput benchmarks: GEMM, recurrent layers, the anchor configurations.");
        return bench;
    }
}
