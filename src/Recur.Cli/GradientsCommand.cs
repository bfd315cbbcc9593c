using System.CommandLine;
using System.Globalization;
using Recur.Cells;
using Recur.Diagnostics;
using Recur.Reports;
using Recur.Training;

namespace Recur.Cli;

/// <summary>
/// `recur gradients`: how far back the error of the last step reaches in untrained networks — log10 ‖∂ε_T/∂h_k‖
/// against T − k, one curve per setting, its slope in decades per step, and the spectrum of each W_hh.
/// </summary>
public static class GradientsCommand
{
    /// <summary>
    /// The lecture's picture: a tanh RNN vanishing (ρ = 0.5), at the edge (ρ = 1) and at ρ = 1.5, where its saturating
    /// units cap the growth; a ReLU RNN with W_hh = 1.5·I, which does not saturate and explodes as 1.5^(T−k); an LSTM
    /// with forget bias 1 (f = σ(1) ≈ 0.73 fades) and with chrono initialisation (f near 1 holds).
    /// </summary>
    public static IReadOnlyList<GradientFlowSetting> DefaultSettings { get; } =
    [
        new(CellType.RnnTanh, InitScheme.Orthogonal, 0.5),
        new(CellType.RnnTanh, InitScheme.Orthogonal, 1.0),
        new(CellType.RnnTanh, InitScheme.Orthogonal, 1.5),
        new(CellType.RnnRelu, InitScheme.Identity, 1.5),
        new(CellType.Lstm, InitScheme.Orthogonal, null, 1f),
        new(CellType.Lstm, InitScheme.Chrono, null),
    ];

    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var cell = new Option<string?>("--cell") { Description = "Cells to compare, comma-separated (lstm, gru, rnn, rnn-relu, ...). Default: rnn (tanh, orthogonal) at ρ = 0.5 (vanishes), 1, 1.5 (its units saturate, which caps the growth); rnn-relu with W_hh = 1.5·I (no saturation: explodes as 1.5^(T−k)); lstm with forget bias 1 (fades); lstm with chrono init (holds)" };
        var hidden = new Option<int>("--hidden") { Description = "Hidden units", DefaultValueFactory = _ => 128 };
        var length = new Option<int>("--length") { Description = "T, the steps the error travels back", DefaultValueFactory = _ => 100 };
        var scale = new Option<string?>("--recurrent-scale") { Description = "Spectral radii to rescale W_hh to, comma-separated (LSTM/GRU: the whole W_hh, so its largest gate block has this radius); 'none' keeps the initialisation. Default: 0.5,1.0,1.5 for rnn cells, none for gated cells" };
        var init = new Option<string>("--init") { Description = "orthogonal, identity, glorot, chrono (LSTM) or default (PyTorch's uniform)", DefaultValueFactory = _ => "orthogonal" };
        var forgetBias = new Option<float>("--forget-bias") { Description = "LSTM forget-gate bias (not with chrono)", DefaultValueFactory = _ => 1f };
        var inputScale = new Option<double>("--input-scale") { Description = "Standard deviation of the random inputs x_t ~ N(0, σ²); larger inputs saturate tanh units and shrink the slopes", DefaultValueFactory = _ => 1.0 };
        var inputSize = new Option<int>("--input-size") { Description = "Input features", DefaultValueFactory = _ => 8 };
        var batch = new Option<int>("--batch") { Description = "Sequences averaged over", DefaultValueFactory = _ => 32 };
        var fit = new Option<int>("--fit-steps") { Description = "Fit the slope over T − k = 0..N (0: the whole curve)", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { Description = "Seed of weights, inputs and the error probe", DefaultValueFactory = _ => 1 };
        var plot = new Option<string>("--plot") { Description = "PNG with one curve per setting ('none': no plot)", DefaultValueFactory = _ => "gradients.png" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object with the curves, slopes and spectra" };

        var cmd = new Command("gradients", "Gradient flow through time in untrained networks: log10 ‖∂ε_T/∂h_k‖ against T − k, its slope (decades per step) and the spectrum of W_hh.");
        foreach (var o in new Option[] { cell, hidden, length, scale, init, forgetBias, inputScale, inputSize, batch, fit, seed, plot, json })
            cmd.Options.Add(o);

        cmd.SetAction(parse =>
        {
            var settings = Settings(parse.GetValue(cell), parse.GetValue(scale), parse.GetValue(init)!, parse.GetValue(forgetBias),
                parse.GetResult(init) is { Implicit: false });
            if (parse.GetValue(seed) < 0) throw new UserException($"--seed must be ≥ 0, got {parse.GetValue(seed)}");
            var conditions = new GradientFlowConditions(parse.GetValue(hidden), parse.GetValue(length), parse.GetValue(inputSize),
                parse.GetValue(batch), parse.GetValue(inputScale), parse.GetValue(fit), (ulong)parse.GetValue(seed));
            try { conditions.Validate(); }
            catch (ArgumentException e) { throw new UserException(e.Message); }
            string plotPath = parse.GetValue(plot)!;
            bool wantPlot = !plotPath.Equals("none", StringComparison.OrdinalIgnoreCase);
            if (wantPlot) CheckPlotPath(plotPath);

            var curves = GradientFlowExperiment.Run(settings, conditions);
            if (wantPlot) WritePlot(plotPath, curves, conditions);

            if (parse.GetValue(json))
            {
                CliCommon.WriteJson(stdout, new
                {
                    hidden = conditions.Hidden, length = conditions.Length, input_size = conditions.InputSize, batch = conditions.Batch,
                    input_scale = conditions.InputScale, fit_steps = conditions.FitSteps > 0 ? conditions.FitSteps : conditions.Length,
                    seed = conditions.Seed, plot = wantPlot ? plotPath : null,
                    settings = curves.Select(c => new
                    {
                        label = c.Setting.Label, cell = c.Setting.Cell.CliName(), init = c.Setting.Init.Name(), scale = c.Setting.Scale,
                        forget_bias = c.Setting.Cell.IsLstm() && c.Setting.Init != InitScheme.Chrono ? c.Setting.ForgetBias : (float?)null,
                        slope = Num(c.Flow.Slope),
                        log10_grad_h = c.Flow.Log10GradH.Select(Num).ToArray(),
                        log10_grad_c = c.Flow.GradC?.Select(v => Num(Math.Log10(v))).ToArray(),
                        jacobian_product_norm = c.Flow.JacobianProductNorm.Select(Num).ToArray(),
                        spectrum = c.Spectrum.Select(s => new { name = s.Name, spectral_radius = Num(s.SpectralRadius), largest_singular_value = Num(s.LargestSingularValue) }).ToArray(),
                    }).ToArray(),
                });
                return CliApp.Ok;
            }

            int T = conditions.Length, fitTo = conditions.FitSteps > 0 ? conditions.FitSteps : T;
            stdout.WriteLine(Inv($"gradient flow through time: hidden {conditions.Hidden}, T = {T}, inputs N(0, {conditions.InputScale:0.###}²) × {conditions.InputSize}, batch {conditions.Batch}, slope fitted over T − k = 0..{fitTo}"));
            stdout.WriteLine(Inv($"{"setting",-24} {"slope dec/step",14} {"log10|g| at T-k=10",19} {"at T-k=" + T,12} {"max ρ(W_hh)",12} {"σmax(W_hh)",11}"));
            foreach (var c in curves)
            {
                var lg = c.Flow.Log10GradH;
                double rho = c.Spectrum.Where(s => double.IsFinite(s.SpectralRadius)).Select(s => s.SpectralRadius).DefaultIfEmpty(double.NaN).Max();
                stdout.WriteLine(Inv($"{c.Setting.Label,-24} {Signed(c.Flow.Slope),14} {F(lg[Math.Min(10, T)], "0.00"),19} {F(lg[T], "0.00"),12} {F(rho, "0.000"),12} {F(c.Spectrum[0].LargestSingularValue, "0.000"),11}"));
            }
            stdout.WriteLine("slope < 0: the error fades going back in time (vanishing); > 0: it grows (exploding); ≈ 0: it is carried.");
            if (wantPlot) stdout.WriteLine($"plot: {plotPath}");
            return CliApp.Ok;
        });
        return cmd;
    }

    /// <summary>The settings from --cell, --recurrent-scale, --init (see the option descriptions).</summary>
    internal static List<GradientFlowSetting> Settings(string? cells, string? scales, string init, float forgetBias, bool initGiven)
    {
        if (cells is null && scales is null && !initGiven) return DefaultSettings.Select(s => s.Cell.IsLstm() && s.Init != InitScheme.Chrono ? s with { ForgetBias = forgetBias } : s).ToList();
        InitScheme scheme;
        try { scheme = Initializers.ParseScheme(init); }
        catch (ArgumentException e) { throw new UserException(e.Message); }
        var cellList = Split(cells ?? "rnn", "--cell").Select(name =>
        {
            try { return CellTypes.Parse(name); }
            catch (ArgumentException e) { throw new UserException(e.Message); }
        }).ToList();
        List<double?>? scaleList = scales is null ? null : Split(scales, "--recurrent-scale").Select(ParseScale).ToList();
        var result = new List<GradientFlowSetting>();
        foreach (var c in cellList)
        {
            if (scheme == InitScheme.Chrono && !c.IsLstm()) throw new UserException($"--init chrono is for LSTM cells, not {c.CliName()}");
            if (scheme == InitScheme.Identity && c.Gates() != 1) throw new UserException($"--init identity is for rnn and rnn-relu cells, not {c.CliName()}");
            var perCell = scaleList ?? (c.Gates() == 1 ? [0.5, 1.0, 1.5] : [null]);
            foreach (var s in perCell) result.Add(new GradientFlowSetting(c, scheme, s, forgetBias));
        }
        return result;
    }

    private static IEnumerable<string> Split(string list, string option)
    {
        var parts = list.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Any(p => p.Length == 0)) throw new UserException($"{option}: empty item in '{list}'");
        return parts;
    }

    private static double? ParseScale(string s)
    {
        if (s.Equals("none", StringComparison.OrdinalIgnoreCase)) return null;
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !(v > 0) || !double.IsFinite(v))
            throw new UserException($"--recurrent-scale: '{s}' is not a positive number (or 'none')");
        return v;
    }

    internal static void CheckPlotPath(string path)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir != null && !Directory.Exists(dir)) throw new UserException($"--plot: directory does not exist: {dir}");
        if (!path.EndsWith(".png", StringComparison.OrdinalIgnoreCase)) throw new UserException($"--plot: expected a .png file, got {path}");
    }

    private static void WritePlot(string path, List<GradientFlowCurve> curves, GradientFlowConditions c)
    {
        int T = c.Length;
        var x = Enumerable.Range(0, T + 1).Select(d => (double)d).ToArray();
        // log10 of an exact 0 (a fully saturated path) is −inf: draw it at the plot's floor instead.
        double floor = curves.SelectMany(cv => cv.Flow.Log10GradH).Where(double.IsFinite).DefaultIfEmpty(0).Min();
        var series = curves.Select(cv => new LineSeries(Inv($"{cv.Setting.Label}: {Signed(cv.Flow.Slope)} dec/step"),
            cv.Flow.Log10GradH.Select(v => double.IsFinite(v) ? v : floor).ToArray(), Dashed: cv.Setting.Cell.IsLstm())).ToList();
        LinePlot.Save(path, x, series,
            Inv($"Gradient flow through time, untrained, hidden {c.Hidden}, inputs N(0, {c.InputScale:0.###}²)"),
            "T − k (steps back from the error)", "log10 ‖∂ε_T/∂h_k‖", legend: ScottPlot.Alignment.LowerLeft, height: 700);
    }

    private static string F(double v, string f) => double.IsFinite(v) ? v.ToString(f, CultureInfo.InvariantCulture) : "n/a";
    private static string Signed(double v)
    {
        if (!double.IsFinite(v)) return "n/a";
        double r = Math.Round(v, 3);
        return (r >= 0 ? "+" : "") + (r == 0 ? 0 : r).ToString("0.000", CultureInfo.InvariantCulture);
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
    private static double? Num(double v) => double.IsFinite(v) ? v : null;
}
