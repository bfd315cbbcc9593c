using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Recur.Data;
using Recur.Reports;
using Recur.Reservoir;
using Recur.Tasks;

namespace Recur.Cli;

/// <summary>
/// `recur esn mackey-glass|lorenz|CSV ...`: trains an echo state network on a benchmark system or a CSV
/// column, predicts (one-step or generative), prints NRMSE at the horizon and over the test range,
/// and plots prediction against truth.
/// </summary>
public static class EsnCommand
{
    /// <summary>Per-system defaults for every option the user leaves out.</summary>
    private sealed record Preset(int Units, double SpectralRadius, double Leak, double InputScaling, double Ridge, int Train, int Test);

    private static readonly Preset MackeyGlassPreset = new(1000, 1.25, 0.3, 1.0, 1e-8, 10000, 500);
    private static readonly Preset LorenzPreset = new(500, 0.9, 1.0, 0.1, 1e-6, 10000, 1000);
    private static readonly Preset CsvPreset = new(1000, 1.25, 0.3, 1.0, 1e-8, 0, 0);

    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var source = new Argument<string>("source") { Description = "mackey-glass, lorenz, or a CSV file (with a header row)" };
        var target = new Option<string?>("--target") { Description = "CSV: the column to model (needed when the file has several)" };
        var units = new Option<int?>("--units") { Description = "Reservoir size N (mackey-glass 1000, lorenz 500, CSV 1000)" };
        var density = new Option<double>("--density") { Description = "Fraction of nonzero recurrent weights", DefaultValueFactory = _ => 0.01 };
        var inDegree = new Option<int?>("--in-degree") { Description = "Exactly this many recurrent inputs per unit (instead of --density)" };
        var radius = new Option<double?>("--spectral-radius") { Description = "Spectral radius of the recurrent matrix (mackey-glass 1.25, lorenz 0.9)" };
        var leak = new Option<double?>("--leak") { Description = "Leak rate a in (0, 1] (mackey-glass 0.3, lorenz 1)" };
        var inputScaling = new Option<double?>("--input-scaling") { Description = "Input weights uniform in [-s, s], on the standardized series (mackey-glass 1, lorenz 0.1)" };
        var biasScaling = new Option<double>("--bias-scaling") { Description = "Bias weights uniform in [-s, s]", DefaultValueFactory = _ => 1.0 };
        var feedback = new Option<double>("--feedback-scaling") { Description = "Output feedback weights uniform in [-s, s] (0: none)", DefaultValueFactory = _ => 0.0 };
        var noise = new Option<double>("--noise") { Description = "State noise amplitude while training", DefaultValueFactory = _ => 0.0 };
        var ridge = new Option<double?>("--ridge") { Description = "Ridge (Tikhonov) beta of the readout (mackey-glass 1e-8, lorenz 1e-6)" };
        var washout = new Option<int>("--washout") { Description = "Initial training steps not used for the readout", DefaultValueFactory = _ => 100 };
        var train = new Option<int?>("--train") { Description = "Training steps (built-in systems 10000; CSV: 80% of the rows)" };
        var test = new Option<int?>("--test") { Description = "Predicted steps after training (mackey-glass 500, lorenz 1000; CSV: the rest)" };
        var horizon = new Option<int>("--horizon") { Description = "The step whose error is reported as NRMSE at the horizon", DefaultValueFactory = _ => 84 };
        var mode = new Option<string>("--mode") { Description = "one-step (teacher-forced) or generative (closed loop)", DefaultValueFactory = _ => "generative" };
        mode.AcceptOnlyFromAmong("one-step", "generative");
        var readout = new Option<string>("--readout") { Description = "ridge (closed form), rls (online recursive least squares) or force (RLS with the output fed back while learning)", DefaultValueFactory = _ => "ridge" };
        readout.AcceptOnlyFromAmong("ridge", "rls", "force");
        var search = new Option<int>("--search") { Description = "Random-search candidates over spectral radius, leak, input scaling, ridge (0: none)", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { Description = "Seed of the reservoir (and of the built-in series)", DefaultValueFactory = _ => 1 };
        var seeds = new Option<int>("--seeds") { Description = "Repeat with seeds S, S+1, ...: NRMSE at the horizon = sqrt(mean squared error) / std", DefaultValueFactory = _ => 1 };
        var plot = new Option<string?>("--plot") { Description = "Write prediction against truth to this PNG" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object with the results" };

        var cmd = new Command("esn", "Echo state network: train a reservoir's readout, predict, report NRMSE.");
        cmd.Arguments.Add(source);
        foreach (var o in new Option[] { target, units, density, inDegree, radius, leak, inputScaling, biasScaling, feedback, noise, ridge, washout, train, test, horizon, mode, readout, search, seed, seeds, plot, json })
            cmd.Options.Add(o);

        cmd.SetAction(parse =>
        {
            var wall = Stopwatch.StartNew();
            string src = parse.GetValue(source)!;
            string kind = src.ToLowerInvariant() switch { "mackey-glass" => "mackey-glass", "lorenz" => "lorenz", _ => "csv" };
            var preset = kind switch { "mackey-glass" => MackeyGlassPreset, "lorenz" => LorenzPreset, _ => CsvPreset };
            int nSeeds = parse.GetValue(seeds);
            if (nSeeds < 1) throw new UserException($"--seeds must be at least 1, got {nSeeds}");
            int firstSeed = parse.GetValue(seed);

            // The series: built-in systems are generated per seed; a CSV column is loaded once.
            double[]? csvSeries = null;
            string? column = null;
            int channels = kind == "lorenz" ? 3 : 1;
            int trainSteps, testSteps;
            if (kind == "csv")
            {
                column = parse.GetValue(target);
                if (column is null)
                {
                    var cols = CsvSeries.Columns(src);
                    if (cols.Count != 1) throw new UserException($"{src} has columns {string.Join(", ", cols)}: choose one with --target");
                    column = cols[0];
                }
                csvSeries = CsvSeries.Load(src, column);
                int rows = csvSeries.Length;
                trainSteps = parse.GetValue(train) ?? (int)(0.8 * (rows - 1));
                testSteps = parse.GetValue(test) ?? rows - 1 - trainSteps;
            }
            else
            {
                if (parse.GetValue(target) is not null) throw new UserException("--target applies to CSV files only");
                trainSteps = parse.GetValue(train) ?? preset.Train;
                testSteps = parse.GetValue(test) ?? preset.Test;
            }
            int h = parse.GetValue(horizon);
            if (parse.GetValue(test) is null && kind != "csv") testSteps = Math.Max(testSteps, h);

            var settings = new EsnTaskSettings
            {
                Train = trainSteps, Test = testSteps, Horizon = h,
                Mode = parse.GetValue(mode) == "one-step" ? EsnMode.OneStep : EsnMode.Generative,
                Readout = parse.GetValue(readout) switch { "rls" => EsnReadoutKind.Rls, "force" => EsnReadoutKind.Force, _ => EsnReadoutKind.Ridge },
                Search = parse.GetValue(search),
            };
            if (settings.Search < 0) throw new UserException($"--search must be ≥ 0, got {settings.Search}");
            var baseOptions = new EsnOptions
            {
                Units = parse.GetValue(units) ?? preset.Units,
                Density = parse.GetValue(density),
                InDegree = parse.GetValue(inDegree),
                SpectralRadius = parse.GetValue(radius) ?? preset.SpectralRadius,
                Leak = parse.GetValue(leak) ?? preset.Leak,
                InputScaling = parse.GetValue(inputScaling) ?? preset.InputScaling,
                BiasScaling = parse.GetValue(biasScaling),
                FeedbackScaling = parse.GetValue(feedback),
                StateNoise = parse.GetValue(noise),
                Ridge = parse.GetValue(ridge) ?? preset.Ridge,
                Washout = parse.GetValue(washout),
            };

            var runs = new List<(int Seed, EsnRunResult Result, double[] Std)>();
            for (int s = firstSeed; s < firstSeed + nSeeds; s++)
            {
                int need = EsnTask.SamplesNeeded(settings);
                double[] series = kind switch
                {
                    "mackey-glass" => Generators.MackeyGlass(need, seed: s),
                    "lorenz" => Generators.Lorenz(need, seed: s),
                    _ => csvSeries!,
                };
                var result = EsnTask.Run(series, channels, baseOptions with { Seed = s }, settings);
                runs.Add((s, result, EsnTask.Moments(series, channels, 0, series.Length / channels).Std));
                if (!parse.GetValue(json) && nSeeds > 1)
                    stdout.WriteLine(FormattableString.Invariant($"seed {s}: NRMSE at step {h} {result.NrmseHorizon:0.###e+00}, over {testSteps} steps {result.NrmseTest:0.###e+00}, valid {result.ValidSteps} steps"));
            }

            var first = runs[0].Result;
            double dt = kind == "lorenz" ? 0.02 : kind == "mackey-glass" ? 1.0 : double.NaN;
            double nrmseH = Math.Sqrt(runs.Average(r => r.Result.SquaredErrorHorizon));
            double nrmseTest = Math.Sqrt(runs.Average(r => r.Result.NrmseTest * r.Result.NrmseTest));
            double validSteps = runs.Average(r => (double)r.Result.ValidSteps);
            double? lyapunov = kind == "lorenz" ? validSteps * dt * Generators.LorenzLyapunov : null;

            string? plotPath = parse.GetValue(plot);
            if (plotPath != null) WritePlot(plotPath, kind, column, first, runs[0].Seed, settings, dt);

            var opt = first.Options;
            if (parse.GetValue(json))
            {
                stdout.WriteLine(Json(kind, src, column, opt, settings, runs, nrmseH, nrmseTest, validSteps, lyapunov, plotPath, wall.Elapsed.TotalSeconds));
                return CliApp.Ok;
            }

            string name = kind == "csv" ? $"{src} [{column}]" : kind;
            stdout.WriteLine(FormattableString.Invariant(
                $"esn {name}: {opt.Units} units, {(opt.InDegree is { } k ? $"in-degree {k}" : $"density {opt.Density:g3}")}, spectral radius {opt.SpectralRadius:g4} (random matrix: rho {first.RawRadius.Radius:0.######}, Krylov residual {first.RawRadius.RelativeResidual:0.#e+00}), leak {opt.Leak:g3}, input scaling {opt.InputScaling:g3}, ridge {opt.Ridge:g3}"));
            if (first.Search.Count > 0)
                stdout.WriteLine(FormattableString.Invariant($"search: {first.Search.Count} candidates in {first.SecondsSearch:F2} s, best validation NRMSE {first.Search.Min(c => c.ValidationNrmse):0.###e+00}"));
            stdout.WriteLine(FormattableString.Invariant(
                $"{settings.Readout.ToString().ToLowerInvariant()} readout on {settings.Train} steps (washout {opt.Washout}) in {first.SecondsTrain:F2} s; {(settings.Mode == EsnMode.Generative ? "generative" : "one-step")} prediction of {settings.Test} steps"));
            string seedNote = nSeeds > 1 ? $" (over {nSeeds} seeds)" : "";
            stdout.WriteLine(FormattableString.Invariant($"NRMSE at step {h}{seedNote}: {nrmseH:0.###e+00}"));
            stdout.WriteLine(FormattableString.Invariant($"NRMSE over {settings.Test} steps{seedNote}: {nrmseTest:0.###e+00}"));
            stdout.WriteLine(FormattableString.Invariant($"valid time (NRMSE <= 0.4): {validSteps:0.#} steps{(lyapunov is { } ly ? $" = {ly:F2} Lyapunov times" : "")}"));
            if (plotPath != null) stdout.WriteLine($"plot: {plotPath}");
            stdout.WriteLine(FormattableString.Invariant($"time: {wall.Elapsed.TotalSeconds:F2} s"));
            return CliApp.Ok;
        });
        return cmd;
    }

    private static void WritePlot(string path, string kind, string? column, EsnRunResult r, int seed, EsnTaskSettings settings, double dt)
    {
        int n = settings.Test, c = r.Channels;
        var x = new double[n];
        for (int t = 0; t < n; t++) x[t] = t + 1;
        string[] names = kind == "lorenz" ? ["x", "y", "z"] : [kind == "csv" ? column! : "x"];
        var lines = new List<LineSeries>();
        for (int ch = 0; ch < c; ch++)
        {
            var truth = new double[n];
            var pred = new double[n];
            for (int t = 0; t < n; t++) { truth[t] = r.Truth[t * c + ch]; pred[t] = r.Prediction[t * c + ch]; }
            lines.Add(new LineSeries($"{names[ch]} truth", truth));
            lines.Add(new LineSeries($"{names[ch]} ESN", pred, Dashed: true));
        }
        var markers = new List<(double, string)> { (settings.Horizon, $"horizon {settings.Horizon}") };
        if (r.ValidSteps < n) markers.Add((r.ValidSteps + 1, "NRMSE > 0.4"));
        string mode = settings.Mode == EsnMode.Generative ? "generative" : "one-step";
        LinePlot.Save(path, x, lines,
            FormattableString.Invariant($"ESN {kind}, {mode} prediction (seed {seed}): NRMSE@{settings.Horizon} {r.NrmseHorizon:0.##e+00}, over {n} steps {r.NrmseTest:0.##e+00}"),
            "steps after training", kind == "csv" ? column! : "value", markers);
    }

    private static string Json(string kind, string src, string? column, EsnOptions opt, EsnTaskSettings settings,
        List<(int Seed, EsnRunResult Result, double[] Std)> runs, double nrmseH, double nrmseTest, double validSteps,
        double? lyapunov, string? plotPath, double seconds)
    {
        var first = runs[0].Result;
        var o = new Dictionary<string, object?>
        {
            ["source"] = kind == "csv" ? src : kind,
            ["target"] = column,
            ["units"] = opt.Units,
            ["density"] = opt.InDegree is null ? opt.Density : null,
            ["in_degree"] = opt.InDegree,
            ["spectral_radius"] = opt.SpectralRadius,
            ["spectral_radius_found"] = Num(first.RawRadius.Radius),
            ["spectral_radius_residual"] = Num(first.RawRadius.RelativeResidual),
            ["spectral_radius_matvecs"] = first.RawRadius.MatVecs,
            ["leak"] = opt.Leak,
            ["input_scaling"] = opt.InputScaling,
            ["bias_scaling"] = opt.BiasScaling,
            ["feedback_scaling"] = opt.FeedbackScaling,
            ["noise"] = opt.StateNoise,
            ["ridge"] = opt.Ridge,
            ["washout"] = opt.Washout,
            ["readout"] = settings.Readout.ToString().ToLowerInvariant(),
            ["mode"] = settings.Mode == EsnMode.Generative ? "generative" : "one-step",
            ["train"] = settings.Train,
            ["test"] = settings.Test,
            ["horizon"] = settings.Horizon,
            ["seeds"] = runs.Select(r => r.Seed).ToArray(),
            ["nrmse_horizon"] = Num(nrmseH),
            ["nrmse_test"] = Num(nrmseTest),
            ["valid_steps"] = Num(validSteps),
            ["valid_lyapunov_times"] = lyapunov is { } l ? Num(l) : null,
            ["runs"] = runs.Select(r => new Dictionary<string, object?>
            {
                ["seed"] = r.Seed,
                ["nrmse_horizon"] = Num(r.Result.NrmseHorizon),
                ["nrmse_test"] = Num(r.Result.NrmseTest),
                ["valid_steps"] = r.Result.ValidSteps,
                ["spectral_radius_found"] = Num(r.Result.RawRadius.Radius),
                ["seconds_train"] = r.Result.SecondsTrain,
                ["seconds_predict"] = r.Result.SecondsPredict,
            }).ToArray(),
            ["search"] = first.Search.Count == 0 ? null : first.Search.Select(c => new Dictionary<string, object?>
            {
                ["spectral_radius"] = c.SpectralRadius, ["leak"] = c.Leak, ["input_scaling"] = c.InputScaling,
                ["ridge"] = c.Ridge, ["validation_nrmse"] = Num(c.ValidationNrmse),
            }).ToArray(),
            ["plot"] = plotPath,
            ["seconds"] = seconds,
        };
        return JsonSerializer.Serialize(o);
    }

    private static double? Num(double v) => double.IsFinite(v) ? v : null;
}
