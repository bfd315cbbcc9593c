using System.CommandLine;
using Recur.Bench;
using Recur.Cells;

namespace Recur.Cli;

/// <summary>`recur bench layer CELL ...`, `recur bench I2`, `recur bench stream ...`: recurrent-layer throughput.</summary>
public static class LayerBenchCommands
{
    public static Command BuildLayer(TextWriter stdout, TextWriter stderr)
    {
        var cell = new Argument<string>("cell") { Description = "lstm | lstm-peephole | lstm-coupled | gru | gru-reset-before | rnn | rnn-relu" };
        var hidden = new Option<int>("--hidden") { Description = "Hidden size H.", DefaultValueFactory = _ => 512 };
        var layers = new Option<int>("--layers") { Description = "Stacked layers.", DefaultValueFactory = _ => 2 };
        var batch = new Option<int>("--batch") { Description = "Batch size B.", DefaultValueFactory = _ => 64 };
        var seq = new Option<int>("--seq") { Description = "Sequence length T.", DefaultValueFactory = _ => 100 };
        var input = new Option<int?>("--input") { Description = "Input size (default: the hidden size)." };
        var proj = new Option<int>("--proj") { Description = "LSTM projection size (0 = none).", DefaultValueFactory = _ => 0 };
        var bidirectional = new Option<bool>("--bidirectional") { Description = "Two directions per layer." };
        var (threads, json, repeat) = Common();
        var cmd = new Command("layer", "Tokens/s of a recurrent layer's forward + backward (no optimizer) and forward alone, with GFLOP/s and % of our GEMM peak.")
        {
            cell, hidden, layers, batch, seq, input, proj, bidirectional, threads, json, repeat,
        };
        cmd.SetAction(parse =>
        {
            CellType c;
            try { c = CellTypes.Parse(parse.GetValue(cell)!); }
            catch (ArgumentException e) { throw new UserException(e.Message); }
            int h = Positive(parse, hidden), l = Positive(parse, layers), b = Positive(parse, batch), t = Positive(parse, seq);
            int i = parse.GetValue(input) ?? h;
            if (i < 1) throw new UserException($"--input must be at least 1, got {i}");
            var config = new LayerBenchConfig(c, h, l, b, t, i, parse.GetValue(bidirectional), parse.GetValue(proj));
            try { new Layers.RecurrentOptions(c, i, h, l, config.Bidirectional, config.Proj).Validate(); }
            catch (ArgumentException e) { throw new UserException(e.Message); }
            return Print(parse, stdout, stderr, threads, json, repeat, log => LayerBench.Report([(config, false, null)], parse.GetValue(threads), parse.GetValue(repeat), log));
        });
        return cmd;
    }

    /// <summary>`recur bench T1` … `recur bench I2`, and `recur bench anchors` for all of them (anchors.md).</summary>
    public static IEnumerable<Command> BuildAnchors(TextWriter stdout, TextWriter stderr)
    {
        foreach (var name in AnchorBench.Names.Append("anchors"))
        {
            var (threads, json, repeat) = Common();
            string[] names = name == "anchors" ? AnchorBench.Names : [name];
            string description = name == "anchors"
                ? "All anchor configurations of anchors.md (T1 … I2) in one report."
                : $"Anchor {AnchorBench.FullName(name)} (anchors.md): the same model, sizes, loss and Adam as the peers.";
            var cmd = new Command(name, description) { threads, json, repeat };
            cmd.SetAction(parse => Print(parse, stdout, stderr, threads, json, repeat,
                log => AnchorBench.Report(names, parse.GetValue(threads), parse.GetValue(repeat), log)));
            yield return cmd;
        }
    }

    public static Command BuildStream(TextWriter stdout, TextWriter stderr)
    {
        var cell = new Argument<string>("cell") { Description = "Cell type (as for bench layer).", DefaultValueFactory = _ => "lstm" };
        var hidden = new Option<int>("--hidden") { Description = "Hidden size H.", DefaultValueFactory = _ => 256 };
        var layers = new Option<int>("--layers") { Description = "Stacked layers.", DefaultValueFactory = _ => 2 };
        var batch = new Option<int>("--batch") { Description = "Streams stepped together.", DefaultValueFactory = _ => 1 };
        var input = new Option<int>("--input") { Description = "Input size.", DefaultValueFactory = _ => 64 };
        var (threads, json, repeat) = Common();
        var cmd = new Command("stream", "Microseconds per streaming step (CreateState + Step, state carried), e.g. for generation.")
        {
            cell, hidden, layers, batch, input, threads, json, repeat,
        };
        cmd.SetAction(parse =>
        {
            CellType c;
            try { c = CellTypes.Parse(parse.GetValue(cell)!); }
            catch (ArgumentException e) { throw new UserException(e.Message); }
            var config = new LayerBenchConfig(c, Positive(parse, hidden), Positive(parse, layers), Positive(parse, batch), 200, Positive(parse, input));
            return Print(parse, stdout, stderr, threads, json, repeat, log =>
            {
                int saved = Kernels.Gemm.Threads;
                Kernels.Gemm.Threads = parse.GetValue(threads);
                try
                {
                    log?.Invoke($"streaming {config.Describe()} ...");
                    var s = StreamingBench.Run(config, parse.GetValue(repeat));
                    var report = new BenchReport(MachineInfo.Current(parse.GetValue(threads)));
                    report.Results.Add(BenchResult.From($"stream {c.CliName()} {config.Layers}x{config.Hidden} B={config.Batch}", "µs/step",
                        new Stats(s.Median * 1e6, s.Min * 1e6, s.Max * 1e6), null, null));
                    return report;
                }
                finally { Kernels.Gemm.Threads = saved; }
            });
        });
        return cmd;
    }

    private static (Option<int> Threads, Option<bool> Json, Option<int> Repeat) Common() => (
        new Option<int>("--threads") { Description = "Threads (default: all cores).", DefaultValueFactory = _ => Environment.ProcessorCount },
        new Option<bool>("--json") { Description = "Print one JSON object (DESIGN.md §6) instead of a table." },
        new Option<int>("--repeat") { Description = "Timed samples after warm-up; the median is reported.", DefaultValueFactory = _ => 7 });

    private static int Positive(ParseResult parse, Option<int> option)
    {
        int v = parse.GetValue(option);
        if (v < 1) throw new UserException($"{option.Name} must be at least 1, got {v}");
        return v;
    }

    private static int Print(ParseResult parse, TextWriter stdout, TextWriter stderr, Option<int> threads, Option<bool> json, Option<int> repeat,
        Func<Action<string>?, BenchReport> run)
    {
        Positive(parse, threads);
        Positive(parse, repeat);
        Action<string>? log = Console.IsErrorRedirected ? null : line => stderr.WriteLine(line);
        var report = run(log);
        stdout.Write(parse.GetValue(json) ? report.ToJson() + Environment.NewLine : report.ToTable());
        return CliApp.Ok;
    }
}
