using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Recur.Cli;
using Recur.Tasks;

namespace Recur.Tests.Interop;

/// <summary>`recur import torch` and `recur export onnx` in-process: exit codes, one JSON object, one error line;
/// a PyTorch model imported, sampled, evaluated, exported and run in ONNX Runtime.</summary>
public sealed class InteropCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "recur-icli-" + Guid.NewGuid().ToString("N"));

    public InteropCliTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string F(string name) => Path.Combine(_dir, name);

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "torch_import", name);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CliApp.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    private static JsonElement OneJson(string stdout)
    {
        var doc = JsonDocument.Parse(stdout);
        Assert.Equal(JsonValueKind.Object, doc.RootElement.ValueKind);
        Assert.Single(stdout.Trim().Split('\n'));
        return doc.RootElement;
    }

    private static void OneErrorLine(string stderr, string contains)
    {
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith("recur: ", stderr);
        Assert.Contains(contains, stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public void Import_sample_eval_export_and_run_in_onnx_runtime()
    {
        using var fx = JsonDocument.Parse(File.ReadAllText(Fixture("charlm_lstm.json")));
        var (code, stdout, stderr) = Run("import", "torch", Fixture("charlm_lstm.safetensors"), "--out", F("m.safetensors"), "--vocab-from-metadata", "--json");
        Assert.True(code == 0, stderr);
        var j = OneJson(stdout);
        Assert.Equal("charlm", j.GetProperty("kind").GetString());
        Assert.Equal("lstm", j.GetProperty("cell").GetString());
        Assert.Equal("__metadata__.vocab", j.GetProperty("vocab_source").GetString());

        string prime = fx.RootElement.GetProperty("prime").GetString()!;
        string greedy = fx.RootElement.GetProperty("greedy").GetString()!;
        (code, stdout, stderr) = Run("sample", F("m.safetensors"), "--prime", prime, "--greedy", "--length", "60", "--json");
        Assert.True(code == 0, stderr);
        Assert.Equal(greedy[..60], OneJson(stdout).GetProperty("text").GetString());   // every recorded margin is > 1e-3

        string evalText = fx.RootElement.GetProperty("eval_text").GetString()!;
        File.WriteAllText(F("slice.txt"), evalText);
        (code, stdout, stderr) = Run("eval", F("m.safetensors"), "--data", F("slice.txt"), "--json");
        Assert.True(code == 0, stderr);
        Assert.Equal(fx.RootElement.GetProperty("mean_ce_nats").GetDouble(), OneJson(stdout).GetProperty("nats_per_char").GetDouble(), 4);

        (code, stdout, stderr) = Run("export", "onnx", F("m.safetensors"), "--out", F("m.onnx"), "--json");
        Assert.True(code == 0, stderr);
        var ex = OneJson(stdout);
        Assert.Equal(17, ex.GetProperty("opset").GetInt32());
        Assert.False(File.Exists(F("m.onnx.tmp")));

        // The exported file gives Recur's logits for a batch of two streams of the slice.
        var model = CharLmModel.Load(F("m.safetensors"));
        var ids = model.Vocabulary.Encode(evalText[..40]).Concat(model.Vocabulary.Encode(evalText[40..80])).ToArray();
        int T = 40, B = 2;
        var tb = new int[T * B];
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++) tb[t * B + b] = ids[b * T + t];
        var expected = model.Network.Forward(tb, T, B).ToArray();
        using var session = new InferenceSession(F("m.onnx"));
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("tokens", new DenseTensor<long>(tb.Select(i => (long)i).ToArray(), new[] { T, B }))]);
        var logits = results.First(r => r.Name == "logits").AsTensor<float>().ToArray();
        Assert.Equal(expected.Length, logits.Length);
        double max = expected.Max(Math.Abs), err = expected.Zip(logits, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(err <= 1e-5 * Math.Max(1, max), $"ORT vs Recur: {err:E3} (max {max})");
    }

    [Fact]
    public void Text_output_and_default_names()
    {
        File.Copy(Fixture("rnn_relu_bidi.safetensors"), F("relu.safetensors"));
        var (code, stdout, stderr) = Run("import", "torch", F("relu.safetensors"), "--nonlinearity", "relu");
        Assert.True(code == 0, stderr);
        Assert.Contains("rnn-relu 2×6 bidirectional", stdout);
        Assert.True(File.Exists(F("relu.recur.safetensors")));
        (code, stdout, stderr) = Run("export", "onnx", F("relu.recur.safetensors"));
        Assert.True(code == 0, stderr);
        Assert.True(File.Exists(F("relu.recur.onnx")));
        Assert.Contains("inputs x, h0", stdout);
    }

    [Fact]
    public void Errors_are_one_line_with_exit_1_and_usage_is_exit_2()
    {
        var (code, _, stderr) = Run("import", "torch", F("missing.safetensors"));
        Assert.Equal(1, code);
        OneErrorLine(stderr, "no such file");

        (code, _, stderr) = Run("import", "torch", Fixture("charlm_gru.safetensors"), "--out", F("g.safetensors"));
        Assert.Equal(1, code);
        OneErrorLine(stderr, "--vocab FILE");
        Assert.False(File.Exists(F("g.safetensors")));

        (code, _, stderr) = Run("import", "torch", Fixture("rnn_relu_bidi.safetensors"), "--out", F("r.safetensors"), "--nonlinearity", "sigmoid");
        Assert.Equal(1, code);
        OneErrorLine(stderr, "expected tanh or relu");

        (code, _, stderr) = Run("import", "torch", Fixture("lstm_proj_bidi.safetensors"), "--out", F("p.safetensors"));
        Assert.Equal(0, code);
        (code, _, stderr) = Run("export", "onnx", F("p.safetensors"), "--out", F("p.onnx"));
        Assert.Equal(1, code);
        OneErrorLine(stderr, "no projection");
        Assert.False(File.Exists(F("p.onnx")));

        (code, _, stderr) = Run("export", "onnx", Fixture("charlm_lstm.safetensors"), "--out", F("x.onnx"));
        Assert.Equal(1, code);
        OneErrorLine(stderr, "recur import torch");

        (code, _, stderr) = Run("export", "onnx", F("p.safetensors"), "--opset", "9");
        Assert.Equal(1, code);
        OneErrorLine(stderr, "--opset 9");

        (code, _, stderr) = Run("export", "onnx", F("nope.safetensors"));
        Assert.Equal(1, code);
        OneErrorLine(stderr, "no such model file");

        (code, _, _) = Run("import", "torch");
        Assert.Equal(2, code);
        (code, _, _) = Run("export", "onnx", F("p.safetensors"), "--opset", "many");
        Assert.Equal(2, code);
    }
}
