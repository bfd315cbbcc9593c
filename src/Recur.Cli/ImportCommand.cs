using System.CommandLine;
using Recur.Cells;
using Recur.Interop;

namespace Recur.Cli;

/// <summary>`recur import torch STATE.safetensors`: a PyTorch state_dict → a Recur model file.</summary>
public static class ImportCommand
{
    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var import = new Command("import", "Convert a model from another framework into a Recur model file.");
        var torch = new Command("torch", "Import a PyTorch state_dict saved as safetensors: [nn.Embedding →] nn.LSTM/GRU/RNN [→ nn.Linear], whatever the module names.");
        var state = new Argument<string>("STATE") { Description = "the state_dict (.safetensors, e.g. from safetensors.torch.save_file)" };
        var output = new Option<string?>("--out") { Description = "model file to write (default: STATE with .recur.safetensors)" };
        var vocab = new Option<string?>("--vocab") { Description = "JSON array of the characters in the model's id order" };
        var vocabMeta = new Option<bool>("--vocab-from-metadata") { Description = $"take the vocabulary from the file's __metadata__ ({string.Join(", ", TorchImport.VocabKeys)}); used by default when present" };
        var nonlinearity = new Option<string?>("--nonlinearity") { Description = "tanh or relu, for an nn.RNN (default tanh)" };
        var cell = new Option<string?>("--cell") { Description = "read the weights as this Recur cell (e.g. gru-reset-before, lstm-coupled)" };
        var embedding = new Option<string?>("--embedding") { Description = "module name of the embedding, or none" };
        var rnn = new Option<string?>("--rnn") { Description = "module name of the recurrent layers (when the file has several)" };
        var head = new Option<string?>("--head") { Description = "module name of the output layer, or none" };
        var json = new Option<bool>("--json") { Description = "print one JSON object" };
        torch.Arguments.Add(state);
        foreach (var o in new Option[] { output, vocab, vocabMeta, nonlinearity, cell, embedding, rnn, head, json }) torch.Options.Add(o);
        torch.SetAction(pr =>
        {
            string path = pr.GetValue(state)!;
            string outPath = pr.GetValue(output) ?? DefaultOut(path);
            var result = TorchImport.Import(path, outPath, new TorchImportOptions
            {
                VocabFile = pr.GetValue(vocab),
                VocabFromMetadata = pr.GetValue(vocabMeta),
                Nonlinearity = pr.GetValue(nonlinearity),
                Cell = pr.GetValue(cell),
                Embedding = pr.GetValue(embedding),
                Rnn = pr.GetValue(rnn),
                Head = pr.GetValue(head),
            });
            var o = result.Rnn;
            if (pr.GetValue(json))
            {
                CliCommon.WriteJson(stdout, new
                {
                    input = path,
                    output = outPath,
                    kind = result.Kind,
                    cell = o.Cell.CliName(),
                    input_size = o.InputSize,
                    hidden = o.HiddenSize,
                    layers = o.NumLayers,
                    bidirectional = o.Bidirectional,
                    proj = o.ProjSize,
                    vocab_size = result.VocabSize,
                    vocab_source = result.VocabSource,
                    embedding = result.EmbeddingTensor,
                    rnn = result.RnnModule,
                    head = result.HeadTensor,
                    parameters = result.Parameters,
                    notes = result.Notes,
                });
                return CliApp.Ok;
            }
            string arch = $"{o.Cell.CliName()} {o.NumLayers}×{o.HiddenSize}{(o.ProjSize > 0 ? $" proj {o.ProjSize}" : "")}{(o.Bidirectional ? " bidirectional" : "")}";
            stdout.WriteLine(result.Kind == "charlm"
                ? $"{outPath}: char model, Embedding({result.VocabSize}, {o.InputSize}) [{result.EmbeddingTensor}] → {arch} [{result.RnnModule}] → Linear [{result.HeadTensor}], vocabulary from {result.VocabSource}, {result.Parameters:N0} parameters"
                : $"{outPath}: recurrent layers, input {o.InputSize} → {arch} [{result.RnnModule}], {result.Parameters:N0} parameters");
            foreach (var n in result.Notes) stdout.WriteLine($"  note: {n}");
            return CliApp.Ok;
        });
        import.Subcommands.Add(torch);
        return import;
    }

    private static string DefaultOut(string path)
    {
        string name = Path.GetFileName(path);
        string stem = name.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) ? name[..^".safetensors".Length] : name;
        return Path.Combine(Path.GetDirectoryName(path) ?? "", stem + ".recur.safetensors");
    }
}
