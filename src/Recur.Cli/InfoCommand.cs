using System.CommandLine;
using System.Text.Json.Nodes;
using Recur.Tasks;

namespace Recur.Cli;

/// <summary>`recur info MODEL`: architecture, parameter count, training summary.</summary>
public static class InfoCommand
{
    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var cmd = new Command("info", "Describe a model file: architecture, parameters, training summary.");
        var model = new Argument<string>("MODEL") { Description = "model file (.safetensors)" };
        var json = new Option<bool>("--json") { Description = "print one JSON object" };
        cmd.Arguments.Add(model);
        cmd.Options.Add(json);
        cmd.SetAction(pr =>
        {
            string path = pr.GetValue(model)!;
            if (!File.Exists(path)) throw new UserException($"{path}: no such model file");
            var (m, file) = CharLmModel.LoadWithFile(path);
            var trainer = CharLmModel.TrainerMetadata(file);
            var c = m.Config;
            var tensors = m.Network.NamedParameters.Select(p => new { name = p.Name, shape = p.Parameter.Shape }).ToList();
            long step = trainer?["step"]?.GetValue<long>() ?? 0;
            var history = trainer?["history"] as JsonArray;
            var last = history is { Count: > 0 } ? history[^1] : null;
            if (pr.GetValue(json))
            {
                CliCommon.WriteJson(stdout, new
                {
                    model = path,
                    kind = c.Kind,
                    format_version = c.FormatVersion,
                    cell = c.Cell,
                    vocab_size = c.VocabSize,
                    embed = c.Embed,
                    hidden = c.Hidden,
                    layers = c.Layers,
                    proj = c.Proj,
                    dropout = c.Dropout,
                    init = c.Init,
                    parameters = m.ParameterCount,
                    tensors,
                    checkpoint = trainer is not null,
                    training = trainer is null ? null : new
                    {
                        steps = step,
                        epoch = trainer["epoch"]?.GetValue<int>(),
                        tokens = trainer["tokens"]?.GetValue<long>(),
                        seconds = trainer["seconds"]?.GetValue<double>(),
                        train_bpc = last?["train_bpc"]?.GetValue<double>(),
                        val_bpc = last?["val_bpc"]?.GetValue<double>(),
                        best_val_bpc = trainer["best_val_bpc"]?.GetValue<double>(),
                    },
                });
                return CliApp.Ok;
            }
            stdout.WriteLine($"{path}: char-level language model (format {c.FormatVersion})");
            stdout.WriteLine($"  Embedding({c.VocabSize}, {c.Embed}) → {c.Cell} {c.Layers}×{c.Hidden}{(c.Proj > 0 ? $" proj {c.Proj}" : "")}{(c.Dropout > 0 ? $", dropout {c.Dropout}" : "")} → Linear({(c.Proj > 0 ? c.Proj : c.Hidden)}, {c.VocabSize})");
            stdout.WriteLine($"  {m.ParameterCount:N0} parameters, init {c.Init}, vocabulary of {m.Vocabulary.Count} characters");
            foreach (var t in tensors) stdout.WriteLine($"    {t.name} [{string.Join(", ", t.shape)}]");
            if (trainer is null) stdout.WriteLine("  no training state (not a checkpoint)");
            else
                stdout.WriteLine($"  trained {step:N0} updates, {trainer["tokens"]?.GetValue<long>():N0} characters in {CliCommon.Duration(trainer["seconds"]?.GetValue<double>() ?? 0)}; "
                    + $"last validation {CliCommon.Fmt(last?["val_bpc"]?.GetValue<double>() ?? double.NaN)} bits/char, best {CliCommon.Fmt(trainer["best_val_bpc"]?.GetValue<double>() ?? double.NaN)}");
            return CliApp.Ok;
        });
        return cmd;
    }
}
