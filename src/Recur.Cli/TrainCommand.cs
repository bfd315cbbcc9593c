using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Recur.Data;
using Recur.Reports;
using Recur.Tasks;
using Recur.Training;

namespace Recur.Cli;

/// <summary>Shared bits of the model commands: JSON on stdout, progress only on a terminal.</summary>
internal static class CliCommon
{
    public static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Exactly one JSON object on stdout.</summary>
    public static void WriteJson(TextWriter stdout, object value) => stdout.WriteLine(JsonSerializer.Serialize(value, Json));

    /// <summary>Progress goes to stderr only when it is the process's own, interactive stderr.</summary>
    public static bool IsTerminal(TextWriter stderr) => ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected;

    public static CharLmModel LoadModel(string path)
    {
        try { return CharLmModel.Load(path); }
        catch (FileNotFoundException) { throw new UserException($"{path}: no such model file"); }
    }

    public static string Fmt(double v, string f = "F3") => double.IsFinite(v) ? v.ToString(f, CultureInfo.InvariantCulture) : "n/a";

    public static string Duration(double seconds)
    {
        var t = TimeSpan.FromSeconds(Math.Max(0, seconds));
        return t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}" : $"{t.Minutes}:{t.Seconds:00}";
    }

    /// <summary>The bundled book: next to the executable (tool install), else ./data.</summary>
    public static string BundledBook()
    {
        string beside = Path.Combine(AppContext.BaseDirectory, "data", "moby-dick.txt");
        return File.Exists(beside) ? beside : Path.Combine("data", "moby-dick.txt");
    }
}

/// <summary>`recur train text`: trains a character-level language model.</summary>
public static class TrainCommand
{
    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var train = new Command("train", "Train a model.");
        var text = new Command("text", "Train a character-level language model on a UTF-8 text (default: the bundled Moby-Dick).");
        var data = new Option<string?>("--data") { Description = "UTF-8 text file (default: the bundled data/moby-dick.txt)" };
        var cell = new Option<string>("--cell") { Description = "lstm, lstm-peephole, lstm-coupled, gru, gru-reset-before, rnn, rnn-relu", DefaultValueFactory = _ => "lstm" };
        var proj = new Option<int>("--proj") { Description = "LSTM projection size (0: none)" };
        var hidden = new Option<int>("--hidden") { Description = "hidden units per layer", DefaultValueFactory = _ => 128 };
        var layers = new Option<int>("--layers") { Description = "recurrent layers", DefaultValueFactory = _ => 2 };
        var embed = new Option<int>("--embed") { Description = "embedding size", DefaultValueFactory = _ => 32 };
        var seq = new Option<int>("--seq") { Description = "characters per stream per batch", DefaultValueFactory = _ => 32 };
        var batch = new Option<int>("--batch") { Description = "parallel streams", DefaultValueFactory = _ => 64 };
        var tbptt = new Option<int>("--tbptt") { Description = "truncated BPTT: k1 = k2 = K steps per update within each batch (default: --seq)" };
        var tbpttBack = new Option<int>("--tbptt-back") { Description = "k2 < k1: steps back per update (the first k1 − k2 steps only advance the state)" };
        var dropout = new Option<float>("--dropout") { Description = "dropout between layers and around the stack (0: none)" };
        var variational = new Option<bool>("--variational") { Description = "variational dropout: the same mask at every time step" };
        var recurrentDropout = new Option<float>("--recurrent-dropout") { Description = "variational dropout on h inside the recurrence, the same mask at every step (0: none)" };
        var optimizer = new Option<string>("--optimizer") { Description = "sgd, rmsprop, adam, adamw", DefaultValueFactory = _ => "adam" };
        var momentum = new Option<float>("--momentum") { Description = "SGD momentum" };
        var lr = new Option<float>("--lr") { Description = "learning rate", DefaultValueFactory = _ => 1e-2f };
        var minLr = new Option<float>("--min-lr") { Description = "final learning rate of the cosine schedule", DefaultValueFactory = _ => 1e-3f };
        var schedule = new Option<string>("--schedule") { Description = "constant, step, cosine", DefaultValueFactory = _ => "cosine" };
        var warmup = new Option<int>("--warmup") { Description = "warm-up updates (linear)" };
        var stepSize = new Option<int>("--step-size") { Description = "step schedule: updates between decays", DefaultValueFactory = _ => 1000 };
        var gamma = new Option<float>("--gamma") { Description = "step schedule: decay factor", DefaultValueFactory = _ => 0.5f };
        var clip = new Option<double>("--clip") { Description = "clip the gradient's global norm (0: off)", DefaultValueFactory = _ => 1.0 };
        var clipValue = new Option<float>("--clip-value") { Description = "clip each gradient value to [−C, C] (0: off)" };
        var weightDecay = new Option<float>("--weight-decay") { Description = "L2 penalty (decoupled with adamw)" };
        var omega = new Option<float>("--omega") { Description = "strength of Pascanu et al.'s Ω regulariser (rnn cells)" };
        var init = new Option<string>("--init") { Description = "default, xavier, orthogonal, identity (rnn), chrono (lstm)", DefaultValueFactory = _ => "default" };
        var forgetBias = new Option<float>("--forget-bias") { Description = "LSTM forget-gate bias", DefaultValueFactory = _ => 1f };
        var chronoT = new Option<int>("--chrono-t") { Description = "chrono init: T_max (default: --seq)" };
        var minutes = new Option<double>("--minutes") { Description = "training wall-clock budget (validation excluded)" };
        var epochs = new Option<int>("--epochs") { Description = "passes over the training text" };
        var steps = new Option<long>("--steps") { Description = "updates" };
        var valFraction = new Option<double>("--val-fraction") { Description = "the end of the text kept for validation", DefaultValueFactory = _ => 0.05 };
        var valEvery = new Option<int>("--val-every") { Description = "validate, sample and checkpoint every N updates", DefaultValueFactory = _ => 500 };
        var patience = new Option<int>("--patience") { Description = "early stopping: validations without improvement (0: off)" };
        var outPath = new Option<string?>("--out") { Description = "model/checkpoint file (default: charlm.safetensors, or the --resume file)" };
        var resume = new Option<string?>("--resume") { Description = "continue from a checkpoint (same --data and --val-fraction)" };
        var seed = new Option<ulong>("--seed") { Description = "random seed", DefaultValueFactory = _ => 1UL };
        var sampleLength = new Option<int>("--sample-length") { Description = "characters sampled at each validation (0: none)", DefaultValueFactory = _ => 200 };
        var threads = new Option<int>("--threads") { Description = "threads for the matrix products (default: all cores)", DefaultValueFactory = _ => Environment.ProcessorCount };
        var json = new Option<bool>("--json") { Description = "print one JSON summary on stdout" };
        foreach (var o in new Option[] { data, cell, proj, hidden, layers, embed, seq, batch, tbptt, tbpttBack, dropout, variational, recurrentDropout, optimizer, momentum, lr, minLr,
                     schedule, warmup, stepSize, gamma, clip, clipValue, weightDecay, omega, init, forgetBias, chronoT, minutes, epochs, steps, valFraction,
                     valEvery, patience, outPath, resume, seed, sampleLength, threads, json })
            text.Options.Add(o);

        text.SetAction(pr =>
        {
            bool asJson = pr.GetValue(json);
            int nThreads = pr.GetValue(threads);
            if (nThreads < 1) throw new UserException($"--threads must be at least 1, got {nThreads}");
            Recur.Kernels.Gemm.Threads = nThreads;
            string dataPath = pr.GetValue(data) ?? CliCommon.BundledBook();
            string? resumePath = pr.GetValue(resume);
            string output = pr.GetValue(outPath) ?? resumePath ?? "charlm.safetensors";
            double mins = pr.GetValue(minutes);
            int eps = pr.GetValue(epochs);
            long maxSteps = pr.GetValue(steps);
            double valFrac = pr.GetValue(valFraction);
            if (!(valFrac > 0 && valFrac < 0.5)) throw new UserException($"--val-fraction must be in (0, 0.5), got {valFrac}");
            if (mins < 0 || eps < 0 || maxSteps < 0) throw new UserException("--minutes, --epochs and --steps must be ≥ 0");
            string? outDir = Path.GetDirectoryName(Path.GetFullPath(output));
            if (outDir is not null && !Directory.Exists(outDir)) throw new UserException($"--out: directory does not exist: {outDir}");

            CharLmTrainer trainer;
            if (resumePath is not null)
            {
                var prior = CliCommon.LoadModel(resumePath);
                var corpus = TextCorpus.Load(dataPath, prior.Vocabulary);
                var (trainIds, valIds) = corpus.Split(valFrac);
                trainer = CharLmTrainer.Resume(resumePath, trainIds, valIds, o => o with
                {
                    Minutes = mins > 0 ? mins : o.Minutes,
                    Epochs = eps > 0 ? eps : o.Epochs,
                    MaxSteps = maxSteps > 0 ? maxSteps : o.MaxSteps,
                });
                trainer.CheckpointPath = output;
            }
            else
            {
                var corpus = TextCorpus.Load(dataPath);
                var (trainIds, valIds) = corpus.Split(valFrac);
                int seqLen = pr.GetValue(seq);
                var config = new CharLmConfig
                {
                    Cell = CellTypeName(pr.GetValue(cell)!),
                    Embed = pr.GetValue(embed),
                    Hidden = pr.GetValue(hidden),
                    Layers = pr.GetValue(layers),
                    Proj = pr.GetValue(proj),
                    Dropout = pr.GetValue(dropout),
                    VariationalDropout = pr.GetValue(variational),
                    RecurrentDropout = pr.GetValue(recurrentDropout),
                    SplitLayers = pr.GetValue(omega) > 0,
                    Init = Initializers.ParseScheme(pr.GetValue(init)!).Name(),
                    ForgetBias = pr.GetValue(forgetBias),
                    ChronoMaxT = pr.GetValue(chronoT) > 0 ? pr.GetValue(chronoT) : seqLen,
                };
                var options = new CharLmTrainingOptions
                {
                    Batch = pr.GetValue(batch),
                    Seq = seqLen,
                    Tbptt = pr.GetValue(tbptt),
                    TbpttBack = pr.GetValue(tbpttBack),
                    Optimizer = new OptimizerOptions(Optimizer.ParseKind(pr.GetValue(optimizer)!), Momentum: pr.GetValue(momentum), WeightDecay: pr.GetValue(weightDecay)),
                    Schedule = new LearningRateSchedule(LearningRateSchedule.ParseKind(pr.GetValue(schedule)!), pr.GetValue(lr), pr.GetValue(minLr),
                        pr.GetValue(warmup), pr.GetValue(stepSize), pr.GetValue(gamma)),
                    ClipNorm = pr.GetValue(clip),
                    ClipValue = pr.GetValue(clipValue),
                    Omega = pr.GetValue(omega),
                    Minutes = mins == 0 && eps == 0 && maxSteps == 0 ? 5 : mins,
                    Epochs = eps,
                    MaxSteps = maxSteps,
                    ValEvery = pr.GetValue(valEvery),
                    Patience = pr.GetValue(patience),
                    Seed = pr.GetValue(seed),
                };
                options.Validate();
                var model = CharLmModel.Create(config, corpus.Vocabulary, options.Seed);
                trainer = new CharLmTrainer(model, trainIds, valIds, options, output);
            }

            bool tty = CliCommon.IsTerminal(stderr);
            int sampleLen = pr.GetValue(sampleLength);
            var model0 = trainer.Model;
            if (!asJson)
                stdout.WriteLine($"training a {model0.Config.Cell} {model0.Config.Layers}×{model0.Config.Hidden} char model ({model0.ParameterCount:N0} parameters, {model0.Vocabulary.Count} characters) on {dataPath}: "
                    + $"{trainer.Streams.TokensPerEpoch:N0} characters per epoch, batch {trainer.Options.Batch} × {trainer.Options.Seq}");
            ConsoleCancelEventHandler? onCancel = null;
            if (tty)
            {
                onCancel = (_, e) => { e.Cancel = true; trainer.RequestStop(); };
                Console.CancelKeyPress += onCancel;
            }
            TrainingSummary summary;
            try
            {
                summary = trainer.Run(ev =>
                {
                    if (tty) stderr.Write("\r" + ProgressLine(ev) + "\u001b[K");
                    if (ev.Kind != TrainingEventKind.Validation || asJson) return;
                    if (tty) stderr.Write("\r\u001b[K");
                    stdout.WriteLine($"step {ev.Step}  epoch {ev.Epoch}  train {CliCommon.Fmt(ev.TrainBpc)} bpc  val {CliCommon.Fmt(ev.ValBpc ?? double.NaN)} bpc  {ev.TokensPerSecond:N0} chars/s  lr {ev.LearningRate:G3}");
                    if (sampleLen > 0)
                    {
                        var s = new CharLmSampler(trainer.Model);
                        stdout.WriteLine("  " + string.Concat(s.Generate(sampleLen, new SamplingOptions(0.8f), new Rng((ulong)ev.Step))).Replace("\n", "\n  "));
                    }
                });
            }
            catch (TrainingDivergedException e)
            {
                if (tty) stderr.Write("\r\u001b[K");
                throw new UserException(e.Message);
            }
            finally
            {
                if (onCancel is not null) Console.CancelKeyPress -= onCancel;
            }
            if (tty) stderr.Write("\r\u001b[K");

            string plotPath = Path.ChangeExtension(output, null) + ".loss.png";
            var h = trainer.History;
            LossCurvePlot.Save(plotPath, h.Select(p => (double)p.Step).ToList(), h.Select(p => p.TrainBpc).ToList(), h.Select(p => p.ValBpc).ToList(),
                $"{trainer.Model.Config.Cell} {trainer.Model.Config.Layers}×{trainer.Model.Config.Hidden} on {Path.GetFileName(dataPath)}");
            if (asJson)
            {
                CliCommon.WriteJson(stdout, new
                {
                    model = output,
                    plot = plotPath,
                    data = dataPath,
                    cell = trainer.Model.Config.Cell,
                    parameters = trainer.Model.ParameterCount,
                    threads = nThreads,
                    vocab_size = trainer.Model.Vocabulary.Count,
                    steps = summary.Steps,
                    epoch = summary.Epoch,
                    tokens = summary.Tokens,
                    seconds = Math.Round(summary.Seconds, 3),
                    tokens_per_second = Math.Round(summary.TokensPerSecond, 1),
                    train_bpc = Finite(summary.TrainBpc),
                    val_bpc = Finite(summary.ValBpc),
                    best_val_bpc = Finite(summary.BestValBpc),
                    stop_reason = summary.StopReason,
                    history = h.Select(p => new { step = p.Step, tokens = p.Tokens, seconds = Math.Round(p.Seconds, 3), train_bpc = Finite(p.TrainBpc), val_bpc = Finite(p.ValBpc) }),
                });
            }
            else
            {
                stdout.WriteLine($"done ({summary.StopReason}): {summary.Steps} updates, {summary.Tokens:N0} characters in {CliCommon.Duration(summary.Seconds)} ({summary.TokensPerSecond:N0} chars/s); "
                    + $"validation {CliCommon.Fmt(summary.ValBpc)} bits/char (best {CliCommon.Fmt(summary.BestValBpc)})");
                stdout.WriteLine($"model: {output}   loss curve: {plotPath}");
                stdout.WriteLine($"try: recur sample {output} --prime \"Call me\"");
            }
            return CliApp.Ok;
        });
        train.Subcommands.Add(text);
        return train;
    }

    private static double? Finite(double v) => double.IsFinite(v) ? Math.Round(v, 5) : null;

    private static string CellTypeName(string name) => Recur.Cells.CellTypes.CliName(Recur.Cells.CellTypes.Parse(name));

    private static string ProgressLine(TrainingEvent e)
    {
        const int width = 24;
        int filled = (int)Math.Round(e.Fraction * width);
        string bar = new string('#', filled) + new string('.', width - filled);
        string eta = e.EtaSeconds is double s ? CliCommon.Duration(s) : "?";
        string val = e.ValBpc is double v ? $"  val {CliCommon.Fmt(v)}" : "";
        return $"[{bar}] {e.Fraction * 100,3:F0}%  step {e.Step}  {e.TokensPerSecond:N0} chars/s  train {CliCommon.Fmt(e.TrainBpc)} bpc{val}  ETA {eta}";
    }
}
