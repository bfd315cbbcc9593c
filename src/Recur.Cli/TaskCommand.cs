using System.CommandLine;
using System.Globalization;
using Recur.Cells;
using Recur.Reports;
using Recur.Tasks;
using Recur.Training;

namespace Recur.Cli;

/// <summary>
/// `recur task adding|copy|temporal-order --length T ...`: trains on fresh batches of a synthetic long-range task,
/// evaluates on a fixed held-out set, prints the learning curve and when (update, training seconds) the task was
/// solved — or that it was not within the budget. A NaN/∞ loss is reported on stderr (exit 1).
/// </summary>
public static class TaskCommand
{
    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var name = new Argument<string>("task") { Description = "adding, copy or temporal-order" };
        var length = new Option<int>("--length") { Description = "T: the sequence length (adding, temporal-order) or the delay (copy: T + 20 steps)", Required = true };
        var cell = new Option<string>("--cell") { Description = "lstm, lstm-peephole, lstm-coupled, gru, gru-reset-before, rnn, rnn-relu", DefaultValueFactory = _ => "lstm" };
        var hidden = new Option<int>("--hidden") { Description = "Hidden units", DefaultValueFactory = _ => 128 };
        var minutes = new Option<double>("--minutes") { Description = "Training wall-clock budget (evaluation excluded)", DefaultValueFactory = _ => 6.0 };
        var steps = new Option<long>("--steps") { Description = "Update budget (0: none; whichever budget ends first)" };
        var clip = new Option<double>("--clip") { Description = "Clip the gradient's global norm to C (0: off)", DefaultValueFactory = _ => 1.0 };
        var tbptt = new Option<int>("--tbptt") { Description = "Truncated BPTT: cut the gradient every K steps (0: full BPTT)" };
        var init = new Option<string?>("--init") { Description = "default, xavier/glorot, orthogonal, identity (rnn cells), chrono (lstm cells). Default: chrono for lstm, orthogonal otherwise" };
        var forgetBias = new Option<float>("--forget-bias") { Description = "LSTM forget-gate bias (not with chrono)", DefaultValueFactory = _ => 1f };
        var scale = new Option<double?>("--recurrent-scale") { Description = "Rescale W_hh to this spectral radius after initialisation" };
        var optimizer = new Option<string>("--optimizer") { Description = "adam, adamw, rmsprop or sgd (plain SGD shows the gradient's scale; Adam normalises it)", DefaultValueFactory = _ => "adam" };
        var lr = new Option<float?>("--lr") { Description = "Learning rate (default 3e-3; sgd 1e-2)" };
        var batch = new Option<int>("--batch") { Description = "Sequences per update", DefaultValueFactory = _ => 50 };
        var evalEvery = new Option<int>("--eval-every") { Description = "Evaluate on the held-out set every N updates", DefaultValueFactory = _ => 50 };
        var heldOut = new Option<int>("--held-out") { Description = "Held-out sequences (a fixed set)", DefaultValueFactory = _ => 1000 };
        var flowEvery = new Option<int>("--gradient-flow-every") { Description = "Record gradient flow on a held-out batch every N updates (0: off)" };
        var keepGoing = new Option<bool>("--keep-going") { Description = "Train on after the task is solved, to the end of the budget" };
        var seed = new Option<int>("--seed") { Description = "Seed of the weights and the training batches", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads") { Description = "Threads for the matrix products (default: all cores; 1 is steadier on a busy machine)", DefaultValueFactory = _ => Environment.ProcessorCount };
        var plot = new Option<string?>("--plot") { Description = "Write the learning curve (held-out and training loss, baseline) to this PNG" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object with the curve and the outcome" };

        var cmd = new Command("task", "Train on a synthetic long-range task (adding problem, copy memory, temporal order) and report when it is solved.");
        cmd.Arguments.Add(name);
        foreach (var o in new Option[] { length, cell, hidden, minutes, steps, clip, tbptt, init, forgetBias, scale, optimizer, lr, batch, evalEvery, heldOut, flowEvery, keepGoing, seed, threads, plot, json })
            cmd.Options.Add(o);

        cmd.SetAction(parse =>
        {
            SyntheticTask task;
            SyntheticTaskOptions options;
            try
            {
                task = SyntheticTask.Create(parse.GetValue(name)!, parse.GetValue(length));
                if (parse.GetValue(threads) < 1) throw new ArgumentException($"--threads must be at least 1, got {parse.GetValue(threads)}");
                if (parse.GetValue(seed) < 0) throw new ArgumentException($"--seed must be ≥ 0, got {parse.GetValue(seed)}");
                options = new SyntheticTaskOptions
                {
                    Cell = CellTypes.Parse(parse.GetValue(cell)!),
                    Hidden = parse.GetValue(hidden),
                    Init = parse.GetValue(init) is { } i ? Initializers.ParseScheme(i) : null,
                    ForgetBias = parse.GetValue(forgetBias),
                    RecurrentScale = parse.GetValue(scale),
                    Optimizer = Optimizer.ParseKind(parse.GetValue(optimizer)!),
                    LearningRate = parse.GetValue(lr),
                    Batch = parse.GetValue(batch),
                    ClipNorm = parse.GetValue(clip),
                    Tbptt = parse.GetValue(tbptt),
                    Minutes = parse.GetValue(minutes),
                    MaxSteps = parse.GetValue(steps),
                    EvalEvery = parse.GetValue(evalEvery),
                    HeldOut = parse.GetValue(heldOut),
                    GradientFlowEvery = parse.GetValue(flowEvery),
                    KeepGoing = parse.GetValue(keepGoing),
                    Seed = (ulong)parse.GetValue(seed),
                };
                options.Validate();
            }
            catch (ArgumentException e) { throw new UserException(e.Message); }
            string? plotPath = parse.GetValue(plot);
            if (plotPath != null) GradientsCommand.CheckPlotPath(plotPath);
            bool asJson = parse.GetValue(json);
            Recur.Kernels.Gemm.Threads = parse.GetValue(threads);

            SyntheticTaskTrainer trainer;
            try { trainer = new SyntheticTaskTrainer(task, options); }
            catch (ArgumentException e) { throw new UserException(e.Message); }
            if (!asJson)
            {
                stdout.WriteLine(Inv($"{task.Name} T = {task.Delay} ({task.Steps} steps): {options.Cell.CliName()} {options.Hidden}, init {options.EffectiveInit.Name()}{(options.RecurrentScale is { } r ? Inv($", W_hh rescaled to ρ = {r:0.###}") : "")}, {options.Optimizer.ToString().ToLowerInvariant()} lr {options.EffectiveLearningRate:G3}, batch {options.Batch}, clip {(options.ClipNorm > 0 ? options.ClipNorm.ToString(CultureInfo.InvariantCulture) : "off")}{(options.Tbptt > 0 ? $", tbptt {options.Tbptt}" : "")}, seed {options.Seed}"));
                stdout.WriteLine(Inv($"baseline (trivial predictor) {task.MetricName switch { "mse" => "MSE", _ => "cross-entropy" }} {task.BaselineLoss:0.0000}; solved when {task.SolvedCriterion}; budget {Budget(options)}"));
                stdout.WriteLine(Inv($"{"update",8} {"time",8} {"train loss",11} {"test loss",10} {"test " + task.MetricName,14}"));
            }
            var flowIndex = 0;
            var result = trainer.Run(p =>
            {
                if (asJson) return;
                stdout.WriteLine(Inv($"{p.Step,8} {CliCommon.Duration(p.Seconds),8} {Loss(p.TrainLoss),11} {Loss(p.TestLoss),10} {(task.MetricName == "mse" ? Loss(p.TestMetric) : F(p.TestMetric, "0.00%")),14}"));
                var snaps = trainer.Monitor?.Snapshots;
                for (; snaps != null && flowIndex < snaps.Count; flowIndex++)
                    stdout.WriteLine(Inv($"         gradient flow at update {snaps[flowIndex].Step}: slope {F(snaps[flowIndex].Slope, "+0.000;-0.000")} decades/step, max ρ(W_hh) {F(snaps[flowIndex].MaxSpectralRadius, "0.000")}"));
            });

            if (plotPath != null && result.Curve.Count > 0) WritePlot(plotPath, task, options, result);
            string outcome = Outcome(task, result);
            if (asJson) CliCommon.WriteJson(stdout, JsonResult(task, options, result, plotPath, outcome));
            else
            {
                stdout.WriteLine(outcome);
                if (plotPath != null) stdout.WriteLine($"plot: {plotPath}");
            }
            if (result.Diverged)
            {
                stderr.WriteLine($"recur: training diverged: {result.Divergence}{(options.ClipNorm > 0 ? "" : " (no gradient clipping: try --clip 1)")}");
                return CliApp.UserError;
            }
            return CliApp.Ok;
        });
        return cmd;
    }

    private static string Outcome(SyntheticTask task, SyntheticTaskResult r)
    {
        if (r.Diverged) return Inv($"diverged after {r.Steps} updates ({CliCommon.Duration(r.Seconds)} of training): {r.Divergence}");
        string Metric(double v) => task.MetricName == "mse" ? Loss(v) : F(v, "0.00%");
        if (r.Solved) return Inv($"solved at update {r.SolvedStep} after {r.SolvedSeconds:0.0} s of training ({task.SolvedCriterion}); {r.Steps / Math.Max(r.Seconds, 1e-9):0.0} updates/s, wall clock {r.WallSeconds:0.0} s");
        var last = r.Curve[^1];
        var best = task.MetricName == "mse" ? r.Curve.Min(p => p.TestMetric) : r.Curve.Max(p => p.TestMetric);
        return Inv($"not solved in the budget ({r.StopReason}: {r.Steps} updates, {r.Seconds:0.0} s of training): last test {task.MetricName} {Metric(last.TestMetric)}, best {Metric(best)}; {task.SolvedCriterion} needed (baseline loss {task.BaselineLoss:0.0000})");
    }

    private static object JsonResult(SyntheticTask task, SyntheticTaskOptions o, SyntheticTaskResult r, string? plot, string outcome) => new
    {
        task = task.Name, length = task.Delay, steps_per_sequence = task.Steps, cell = o.Cell.CliName(), hidden = o.Hidden,
        init = o.EffectiveInit.Name(), recurrent_scale = o.RecurrentScale, optimizer = o.Optimizer.ToString().ToLowerInvariant(),
        lr = o.EffectiveLearningRate, batch = o.Batch, clip = o.ClipNorm, tbptt = o.Tbptt, seed = o.Seed,
        baseline_loss = task.BaselineLoss, metric = task.MetricName, criterion = task.SolvedCriterion,
        solved = r.Solved, solved_step = r.SolvedStep, solved_seconds = r.SolvedSeconds,
        diverged = r.Diverged, divergence = r.Divergence, stop_reason = r.StopReason,
        updates = r.Steps, train_seconds = r.Seconds, wall_seconds = r.WallSeconds,
        curve = r.Curve.Select(p => new { step = p.Step, seconds = p.Seconds, train_loss = Num(p.TrainLoss), test_loss = Num(p.TestLoss), test_metric = Num(p.TestMetric) }).ToArray(),
        gradient_flow = r.GradientFlow.Select(s => new { step = s.Step, slope = Num(s.Slope), max_spectral_radius = Num(s.MaxSpectralRadius), max_singular_value = Num(s.MaxSingularValue), log10_grad_h = s.Log10GradH.Select(Num).ToArray() }).ToArray(),
        outcome, plot,
    };

    private static void WritePlot(string path, SyntheticTask task, SyntheticTaskOptions o, SyntheticTaskResult r)
    {
        var x = r.Curve.Select(p => (double)p.Step).ToArray();
        // log10: the curve spans the untrained loss, the baseline plateau and the solved level (decades apart).
        var test = r.Curve.Select(p => Log(p.TestLoss)).ToArray();
        var train = r.Curve.Select(p => Log(double.IsFinite(p.TrainLoss) ? p.TrainLoss : p.TestLoss)).ToArray();
        var baseline = x.Select(_ => Math.Log10(task.BaselineLoss)).ToArray();
        var markers = r.SolvedStep is { } s ? new List<(double, string)> { (s, $"solved at {s}") } : null;
        LinePlot.Save(path, x, [new LineSeries("held-out loss", test), new LineSeries("training loss", train), new LineSeries("trivial baseline", baseline, Dashed: true)],
            Inv($"{task.Name} T = {task.Delay}: {o.Cell.CliName()} {o.Hidden}, {o.EffectiveInit.Name()}, {o.Optimizer.ToString().ToLowerInvariant()} {o.EffectiveLearningRate:G3}, clip {o.ClipNorm:G3}: {(r.Solved ? "solved" : r.Diverged ? "diverged" : "not solved")}"),
            "update", task.MetricName == "mse" ? "log10 MSE" : "log10 cross-entropy (nats)", markers);
    }

    private static string Budget(SyntheticTaskOptions o) =>
        o.Minutes > 0 && o.MaxSteps > 0 ? Inv($"{o.Minutes:0.##} min or {o.MaxSteps} updates") : o.Minutes > 0 ? Inv($"{o.Minutes:0.##} min") : $"{o.MaxSteps} updates";

    /// <summary>A loss in fixed point, or in exponent form once it has exploded past 10⁴.</summary>
    private static string Loss(double v) => F(v, Math.Abs(v) < 1e4 ? "0.0000" : "0.00e+00");

    /// <summary>log10 of a loss for the plot; a non-finite loss is drawn at 10⁴⁰ (above any float loss).</summary>
    private static double Log(double v) => double.IsFinite(v) && v > 0 ? Math.Log10(v) : double.IsFinite(v) ? -10 : 40;
    private static string F(double v, string f) => double.IsFinite(v) ? v.ToString(f, CultureInfo.InvariantCulture) : "n/a";
    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
    private static double? Num(double v) => double.IsFinite(v) ? v : null;
}
