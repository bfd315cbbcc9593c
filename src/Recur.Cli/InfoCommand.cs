using System.CommandLine;
using System.Text.Json.Nodes;
using System.Text.Json;
using Recur.Interop;
using Recur.Models;
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
            if (ModelKind(path) is { } kind && kind != "charlm") return DescribeOther(path, kind, pr.GetValue(json), stdout);
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

    /// <summary>The <c>kind</c> of a Recur model file's config, or null when the header has none (the charlm loader then explains).</summary>
    private static string? ModelKind(string path)
    {
        try
        {
            var meta = SafetensorsFile.ReadMetadata(path);
            return meta.TryGetValue(ModelFile.ConfigKey, out var config) ? JsonNode.Parse(config)?["kind"]?.GetValue<string>() : null;
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or InvalidOperationException or IOException) { return null; }
    }

    /// <summary>Any other kind (forecast, esn, layer, …): its config as stored, its tensors and parameter count.</summary>
    private static int DescribeOther(string path, string kind, bool json, TextWriter stdout)
    {
        var file = SafetensorsFile.Read(path);
        var config = JsonNode.Parse(file.Metadata[ModelFile.ConfigKey])!;
        // Optimizer state of a checkpoint is not part of the model.
        var tensors = file.Tensors.Where(t => !t.Name.StartsWith("optim.", StringComparison.Ordinal)).ToList();
        long parameters = tensors.Where(t => t.DType is SafetensorsDType.F32 or SafetensorsDType.F64 or SafetensorsDType.F16 or SafetensorsDType.BF16)
            .Sum(t => (long)t.ElementCount);
        bool checkpoint = file.Metadata.ContainsKey(ModelFile.TrainerKey);
        if (json)
        {
            CliCommon.WriteJson(stdout, new
            {
                model = path,
                kind,
                config,
                parameters,
                tensors = tensors.Select(t => new { name = t.Name, dtype = t.DType.HeaderName(), shape = t.Shape }),
                checkpoint,
            });
            return CliApp.Ok;
        }
        stdout.WriteLine($"{path}: Recur model of kind '{kind}'");
        stdout.WriteLine($"  config: {config.ToJsonString()}");
        stdout.WriteLine($"  {parameters:N0} parameters{(checkpoint ? " (a checkpoint: training state included)" : "")}");
        foreach (var t in tensors) stdout.WriteLine($"    {t.Name} {t.DType.HeaderName()} [{string.Join(", ", t.Shape)}]");
        return CliApp.Ok;
    }
}
