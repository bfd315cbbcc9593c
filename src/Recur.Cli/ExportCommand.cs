using System.CommandLine;
using Recur.Cells;
using Recur.Interop;
using Recur.Tasks;

namespace Recur.Cli;

/// <summary>`recur export onnx MODEL --out FILE.onnx`: standard ONNX operators, dynamic batch and sequence axes.</summary>
public static class ExportCommand
{
    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var export = new Command("export", "Write a Recur model in another format.");
        var onnx = new Command("onnx", "Export a char model or recurrent layers as an ONNX graph (LSTM/GRU/RNN, Gather, MatMul; float32, layout 0).");
        var model = new Argument<string>("MODEL") { Description = "model file (.safetensors)" };
        var output = new Option<string?>("--out") { Description = "ONNX file to write (default: MODEL with .onnx)" };
        var opset = new Option<int>("--opset") { Description = $"ONNX opset ({OnnxExport.MinOpset}–{OnnxExport.MaxOpset})", DefaultValueFactory = _ => OnnxExport.DefaultOpset };
        var json = new Option<bool>("--json") { Description = "print one JSON object" };
        onnx.Arguments.Add(model);
        foreach (var o in new Option[] { output, opset, json }) onnx.Options.Add(o);
        onnx.SetAction(pr =>
        {
            string path = pr.GetValue(model)!;
            string outPath = pr.GetValue(output) ?? Path.ChangeExtension(path, ".onnx");
            if (Path.GetFullPath(outPath) == Path.GetFullPath(path)) throw new UserException($"--out {outPath} is the model file: choose another name");
            int set = pr.GetValue(opset);
            if (set < OnnxExport.MinOpset || set > OnnxExport.MaxOpset)
                throw new UserException($"--opset {set}: supported are {OnnxExport.MinOpset} to {OnnxExport.MaxOpset}");
            string kind;
            try { kind = LayerModel.KindOf(path); }
            catch (FileNotFoundException) { throw new UserException($"{path}: no such model file"); }
            OnnxExportSource source = kind switch
            {
                "charlm" => OnnxExportSource.FromCharLm(CharLmModel.Load(path)),
                LayerModel.Kind => OnnxExportSource.FromRecurrent(LayerModel.Load(path)),
                _ => throw new UserException($"{path}: a '{kind}' model cannot be exported to ONNX (char models and recurrent layers can)"),
            };
            byte[] bytes;
            try { bytes = OnnxExport.Export(source, set); }
            catch (ArgumentException e) { throw new UserException($"{path}: {e.Message}"); }
            string full = Path.GetFullPath(outPath), tmp = full + ".tmp";
            try
            {
                using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
                {
                    fs.Write(bytes);
                    fs.Flush(flushToDisk: true);
                }
                File.Move(tmp, full, overwrite: true);
            }
            catch
            {
                try { File.Delete(tmp); } catch (IOException) { }
                throw;
            }
            var o = source.Rnn;
            string input = source.VocabSize > 0 ? "tokens" : "x";
            string outName = source.HeadSize > 0 ? "logits" : "output";
            var outputs = o.Cell.IsLstm() ? new[] { outName, "h_n", "c_n" } : [outName, "h_n"];
            var inputs = o.Cell.IsLstm() ? new[] { input, "h0", "c0" } : [input, "h0"];
            if (pr.GetValue(json))
            {
                CliCommon.WriteJson(stdout, new { model = path, output = outPath, kind, opset = set, bytes = bytes.Length, cell = o.Cell.CliName(), layers = o.NumLayers, bidirectional = o.Bidirectional, inputs, outputs });
                return CliApp.Ok;
            }
            stdout.WriteLine($"{outPath}: ONNX opset {set}, {bytes.Length:N0} bytes; inputs {string.Join(", ", inputs)} (h0/c0 optional, zeros); outputs {string.Join(", ", outputs)}; axes seq and batch dynamic");
            return CliApp.Ok;
        });
        export.Subcommands.Add(onnx);
        return export;
    }
}
