using System.Text.Json;
using Recur.Cells;
using Recur.Interop;
using Recur.Layers;
using Recur.Tasks;
using Recur.Tensors;
using Recur.Training;
using Xunit.Abstractions;

namespace Recur.Tests.Interop;

/// <summary>
/// `recur import torch` against real PyTorch (tests/fixtures/torch_import, made by make_torch_import.py with torch 1.13):
/// the imported char models give PyTorch's greedy text wherever its top-2 margin exceeds 1e-3 and its cross-entropy
/// within 1e-4 nats; the imported bare stacks give torch's output. Then detection and its errors on synthetic state_dicts.
/// </summary>
public sealed class TorchImportTests(ITestOutputHelper log) : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "recur-import-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string Tmp(string name)
    {
        Directory.CreateDirectory(_dir);
        return Path.Combine(_dir, name);
    }

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "torch_import", name);

    [Theory]
    [InlineData("charlm_lstm", "embed.weight", "lstm", "head.weight", null)]
    [InlineData("charlm_gru", "encoder.weight", "rnn", "decoder.weight", "charlm_gru.vocab.json")]
    [InlineData("charlm_lstm_proj_bf16", "emb.weight", "lstm", "out.weight", null)]
    public void Char_model_gives_pytorchs_greedy_text_and_cross_entropy(string name, string emb, string rnn, string head, string? vocabFile)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixture(name + ".json")));
        var j = doc.RootElement;
        string outPath = Tmp(name + ".recur.safetensors");
        var r = TorchImport.Import(Fixture(name + ".safetensors"), outPath,
            new TorchImportOptions { VocabFile = vocabFile is null ? null : Fixture(vocabFile) });
        Assert.Equal("charlm", r.Kind);
        Assert.Equal((emb, rnn, head), (r.EmbeddingTensor, r.RnnModule, r.HeadTensor));
        Assert.Equal(j.GetProperty("proj").GetInt32(), r.Rnn.ProjSize);
        Assert.Equal(j.GetProperty("layers").GetInt32(), r.Rnn.NumLayers);
        Assert.Contains(r.Notes, n => n.Contains("reordered"));   // the fixtures' vocabularies are not in code-point order

        var model = CharLmModel.Load(outPath);
        var net = model.Network;
        string prime = j.GetProperty("prime").GetString()!;
        string greedy = j.GetProperty("greedy").GetString()!;
        var margins = j.GetProperty("margins").EnumerateArray().Select(m => m.GetDouble()).ToArray();

        // Teacher-forced along PyTorch's own continuation: at each step our argmax must be its choice
        // wherever its margin exceeds 1e-3 (a near tie may go either way in float32).
        var state = net.CreateStreamState(1);
        var scratch = new ScratchBuffer();
        var logits = new float[model.Vocabulary.Count];
        foreach (int id in model.Vocabulary.Encode(prime)) net.Step(id, state, logits, scratch);
        var expected = model.Vocabulary.Encode(greedy);
        int checkedSteps = 0;
        for (int t = 0; t < expected.Length; t++)
        {
            if (margins[t] > 1e-3)
            {
                int ours = Array.IndexOf(logits, logits.Max());
                Assert.True(ours == expected[t], $"{name} step {t}: ours '{model.Vocabulary[ours]}', PyTorch '{model.Vocabulary[expected[t]]}' (margin {margins[t]:E2})");
                checkedSteps++;
            }
            net.Step(expected[t], state, logits, scratch);
        }
        Assert.True(checkedSteps > expected.Length / 2, $"only {checkedSteps} of {expected.Length} steps had a margin over 1e-3");

        // Free-running greedy sampling gives the same text up to the first near tie.
        var sampler = new CharLmSampler(model);
        sampler.Prime(prime);
        string ours2 = string.Concat(sampler.Generate(greedy.Length, new SamplingOptions(Greedy: true), new Rng(1)));
        int firstTie = Array.FindIndex(margins, m => m <= 1e-3);
        int agree = firstTie < 0 ? greedy.Length : firstTie;
        Assert.Equal(greedy[..agree], ours2[..agree]);

        string evalText = j.GetProperty("eval_text").GetString()!;
        double ce = CharLmEvaluator.MeanNats(net, model.Vocabulary.Encode(evalText));
        double torchCe = j.GetProperty("mean_ce_nats").GetDouble();
        log.WriteLine($"{name}: greedy {checkedSteps}/{expected.Length} steps checked (min margin {margins.Min():E2}); cross-entropy ours {ce:F7}, PyTorch {torchCe:F7}, |Δ| = {Math.Abs(ce - torchCe):E2} nats");
        Assert.True(Math.Abs(ce - torchCe) < 1e-4, $"{name}: cross-entropy {ce} vs PyTorch {torchCe}");
    }

    [Theory]
    [InlineData("rnn_relu_bidi", "relu", CellType.RnnRelu)]
    [InlineData("lstm_proj_bidi", null, CellType.Lstm)]
    public void Bare_stack_gives_torchs_output(string name, string? nonlinearity, CellType cell)
    {
        string outPath = Tmp(name + ".recur.safetensors");
        var r = TorchImport.Import(Fixture(name + ".safetensors"), outPath, new TorchImportOptions { Nonlinearity = nonlinearity });
        Assert.Equal(LayerModel.Kind, r.Kind);
        Assert.Equal(cell, r.Rnn.Cell);
        Assert.True(r.Rnn.Bidirectional);
        var rnn = LayerModel.Load(outPath);
        var reference = SafetensorsFile.Read(Fixture(name + ".ref.safetensors"));
        var result = rnn.Forward(reference["x"].ToTensor());
        foreach (var (what, ours) in new[] { ("output", result.Output), ("h_n", result.HN) })
        {
            var torch = reference[what].ToFloat64();
            Assert.Equal(torch.Length, ours.Length);
            double err = 0, max = 0;
            for (int i = 0; i < torch.Length; i++)
            {
                err = Math.Max(err, Math.Abs(ours.Span[i] - torch[i]));
                max = Math.Max(max, Math.Abs(torch[i]));
            }
            log.WriteLine($"{name} {what}: max |Recur − torch| = {err:E2} (max |value| {max:F3})");
            Assert.True(max > 0.05 && err < 1e-5 * Math.Max(1, max), $"{name} {what}: error {err:E3}");
        }
    }

    // ------------------------------------------------------------------ synthetic state_dicts

    /// <summary>A state_dict of an nn.LSTM/GRU/RNN (PyTorch shapes) under <paramref name="module"/>.</summary>
    private static void AddRnn(SafetensorsWriter w, string module, int gates, int I, int H, int L = 1, bool bidi = false, int P = 0, Func<string, bool>? skip = null)
    {
        var rng = new Random(1);
        float[] R(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        int hout = P > 0 ? P : H;
        for (int l = 0; l < L; l++)
            for (int d = 0; d < (bidi ? 2 : 1); d++)
            {
                string s = Recurrent.Suffix(l, d);
                int input = l == 0 ? I : (bidi ? 2 : 1) * hout;
                void Add(string n, params int[] shape)
                {
                    if (skip?.Invoke(n + s) == true) return;
                    w.Add(module + n + s, R(shape.Aggregate(1, (a, b) => a * b)), shape);
                }
                Add("weight_ih", gates * H, input);
                Add("weight_hh", gates * H, hout);
                Add("bias_ih", gates * H);
                Add("bias_hh", gates * H);
                if (P > 0) Add("weight_hr", P, H);
            }
    }

    private static void AddLinear(SafetensorsWriter w, string module, int rows, int cols, bool bias)
    {
        w.Add(module + "weight", new float[rows * cols], rows, cols);
        if (bias) w.Add(module + "bias", new float[rows], rows);
    }

    private string Save(SafetensorsWriter w, string name = "state.safetensors")
    {
        string p = Tmp(name);
        w.Save(p);
        return p;
    }

    private const string Vocab5 = "[\"e\",\"a\",\" \",\"t\",\"\\n\"]";

    private string Import(SafetensorsWriter w, TorchImportOptions? o = null) =>
        TorchImport.Import(Save(w), Tmp("out.safetensors"), o ?? new TorchImportOptions()).Kind;

    private string Fails(SafetensorsWriter w, TorchImportOptions? o = null)
    {
        var e = Record.Exception(() => TorchImport.Import(Save(w), Tmp("out.safetensors"), o ?? new TorchImportOptions()));
        Assert.NotNull(e);
        Assert.True(e is InvalidDataException or ArgumentException or FileNotFoundException, e.GetType().Name + ": " + e.Message);
        Assert.DoesNotContain("\n", e.Message);
        Assert.False(File.Exists(Tmp("out.safetensors")), "nothing is written on an error");
        return e.Message;
    }

    [Theory]
    [InlineData("encoder.", "rnn.", "decoder.", 4)]
    [InlineData("embed.", "lstm.", "head.", 4)]
    [InlineData("model.tok_emb.", "model.core.gru.", "model.lm_head.", 3)]
    [InlineData("", "", "", 1)]   // a bare nn.RNN saved at the top level: weight_ih_l0 …
    public void Module_names_do_not_matter(string emb, string rnn, string head, int gates)
    {
        var w = new SafetensorsWriter();
        if (emb.Length > 0) w.Add(emb + "weight", new float[5 * 3], 5, 3);
        AddRnn(w, rnn, gates, 3, 4, L: 2);
        if (head.Length > 0) AddLinear(w, head, 5, 4, bias: true);
        w.Metadata["vocab"] = Vocab5;
        string kind = Import(w);
        Assert.Equal(emb.Length > 0 ? "charlm" : LayerModel.Kind, kind);
        if (kind == "charlm")
        {
            var m = CharLmModel.Load(Tmp("out.safetensors"));
            Assert.Equal(gates == 4 ? CellType.Lstm : CellType.Gru, m.Config.CellType);
            Assert.Equal(2, m.Config.Layers);
            Assert.Equal(5, m.Vocabulary.Count);
        }
        else Assert.Equal(CellType.RnnTanh, LayerModel.Load(Tmp("out.safetensors")).Options.Cell);
    }

    [Fact]
    public void Vocabulary_is_permuted_to_code_point_order()
    {
        var w = new SafetensorsWriter();
        // Row i of the embedding is all i; head row i is all 10+i, bias i = 100+i.
        w.Add("embed.weight", Enumerable.Range(0, 15).Select(k => (float)(k / 3)).ToArray(), 5, 3);
        AddRnn(w, "lstm.", 4, 3, 4);
        w.Add("head.weight", Enumerable.Range(0, 20).Select(k => 10f + k / 4).ToArray(), 5, 4);
        w.Add("head.bias", Enumerable.Range(0, 5).Select(k => 100f + k).ToArray(), 5);
        w.Metadata["chars"] = Vocab5;   // e a ␠ t \n → sorted: \n ␠ a e t
        Import(w);
        var m = CharLmModel.Load(Tmp("out.safetensors"));
        Assert.Equal("\n aet", string.Concat(Enumerable.Range(0, 5).Select(i => m.Vocabulary[i])));
        int[] torchId = [4, 2, 1, 0, 3];   // the PyTorch id of each Recur id
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(torchId[i], m.Network["embedding.weight"].Value[i, 0]);
            Assert.Equal(10 + torchId[i], m.Network["head.weight"].Value[i, 3]);
            Assert.Equal(100 + torchId[i], m.Network["head.bias"].Value[i]);
        }
    }

    [Fact]
    public void Bidirectional_and_proj_size_and_no_bias_import_as_layers()
    {
        var w = new SafetensorsWriter();
        AddRnn(w, "lstm.", 4, 3, 6, L: 3, bidi: true, P: 2, skip: n => n.StartsWith("bias", StringComparison.Ordinal));
        var r = TorchImport.Import(Save(w), Tmp("out.safetensors"), new TorchImportOptions());
        Assert.Equal(LayerModel.Kind, r.Kind);
        Assert.Equal(new RecurrentOptions(CellType.Lstm, 3, 6, 3, true, 2), r.Rnn);
        Assert.Contains(r.Notes, n => n.Contains("no biases"));
        var rnn = LayerModel.Load(Tmp("out.safetensors"));
        Assert.All(rnn.Parameters.Where(p => p.Name.StartsWith("bias", StringComparison.Ordinal)), p => Assert.All(p.Value.Data, v => Assert.Equal(0f, v)));
        Assert.Equal(SafetensorsFile.Read(Tmp("state.safetensors"))["lstm.weight_hr_l2_reverse"].ToFloat32(), rnn["weight_hr_l2_reverse"].Value.Data);
    }

    [Fact]
    public void Ambiguous_or_missing_parts_are_clear_errors_and_flags_settle_them()
    {
        // Two recurrent modules.
        var w = new SafetensorsWriter();
        AddRnn(w, "a.", 4, 3, 4);
        AddRnn(w, "b.", 3, 3, 4);
        Assert.Contains("--rnn", Fails(w));
        var r = TorchImport.Import(Tmp("state.safetensors"), Tmp("out.safetensors"), new TorchImportOptions { Rnn = "b" });
        Assert.Equal(CellType.Gru, r.Rnn.Cell);
        Assert.Contains(r.Notes, n => n.Contains("left out"));
        File.Delete(Tmp("out.safetensors"));
        Assert.Contains("no recurrent module of that name", Fails(w, new TorchImportOptions { Rnn = "c" }));

        // Embedding and head both [5, 4] without bias (input size = hidden size): which is which?
        w = new SafetensorsWriter();
        w.Add("p.weight", new float[20], 5, 4);
        AddRnn(w, "core.", 4, 4, 4);
        w.Add("q.weight", new float[20], 5, 4);
        w.Metadata["vocab"] = Vocab5;
        string m = Fails(w);
        Assert.Contains("ambiguous", m);
        Assert.Contains("--embedding", m);
        Assert.Equal("charlm", Import(w, new TorchImportOptions { Embedding = "q", Head = "p" }));
        File.Delete(Tmp("out.safetensors"));
        Assert.Contains("no module of that name", Fails(w, new TorchImportOptions { Embedding = "q", Head = "nope" }));

        // The same with telling names needs no flags.
        w = new SafetensorsWriter();
        w.Add("decoder.weight", new float[20], 5, 4);
        AddRnn(w, "rnn.", 4, 4, 4);
        w.Add("encoder.weight", new float[20], 5, 4);
        w.Metadata["vocab"] = Vocab5;
        var named = TorchImport.Import(Save(w), Tmp("out.safetensors"), new TorchImportOptions());
        Assert.Equal(("encoder.weight", "decoder.weight"), (named.EmbeddingTensor, named.HeadTensor));
        File.Delete(Tmp("out.safetensors"));

        // A module that fits nowhere.
        w = new SafetensorsWriter();
        AddRnn(w, "rnn.", 4, 3, 4);
        AddLinear(w, "extra.", 7, 9, bias: true);
        Assert.Contains("'extra'", Fails(w));
        Assert.Contains("do not fit a head", Fails(w, new TorchImportOptions { Head = "extra" }));
        // A tensor that is no module parameter at all.
        w = new SafetensorsWriter();
        AddRnn(w, "rnn.", 4, 3, 4);
        w.Add("bn.num_batches_tracked", new long[] { 3 });
        Assert.Contains("num_batches_tracked", Fails(w));
    }

    [Fact]
    public void Broken_recurrent_modules_are_clear_errors()
    {
        var w = new SafetensorsWriter();
        AddRnn(w, "rnn.", 4, 3, 4, L: 2, skip: n => n == "weight_hh_l1");
        Assert.Contains("'rnn.weight_hh_l1' is missing", Fails(w));

        w = new SafetensorsWriter();
        AddRnn(w, "rnn.", 4, 3, 4, skip: n => n == "bias_hh_l0");
        Assert.Contains("'rnn.bias_hh_l0' is missing", Fails(w));

        w = new SafetensorsWriter();
        AddRnn(w, "rnn.", 4, 3, 4, L: 2, skip: n => n == "weight_ih_l1");
        w.Add("rnn.weight_ih_l1", new float[16 * 5], 16, 5);
        string m = Fails(w);
        Assert.Contains("'rnn.weight_ih_l1' has shape [16, 5], expected [16, 4]", m);

        w = new SafetensorsWriter();
        AddRnn(w, "rnn.", 2, 3, 4);
        Assert.Contains("not an LSTM (4 gates), GRU (3) or RNN (1)", Fails(w));

        w = new SafetensorsWriter();
        AddRnn(w, "rnn.", 4, 3, 4);
        Assert.Contains("--nonlinearity applies to nn.RNN", Fails(w, new TorchImportOptions { Nonlinearity = "relu" }));
        Assert.Contains("gate block", Fails(w, new TorchImportOptions { Cell = "gru-reset-before" }));
        Assert.Equal(LayerModel.Kind, Import(w, new TorchImportOptions { Cell = "lstm-coupled" }));
        File.Delete(Tmp("out.safetensors"));

        w = new SafetensorsWriter();
        Assert.Contains("no recurrent layer", Fails(w.Add("fc.weight", new float[4], 2, 2)));
    }

    [Fact]
    public void Vocabulary_problems_and_char_model_shape_problems_are_clear_errors()
    {
        SafetensorsWriter Char(int V = 5, bool bidi = false, int headRows = 5)
        {
            var w = new SafetensorsWriter();
            w.Add("embed.weight", new float[V * 3], V, 3);
            AddRnn(w, "lstm.", 4, 3, 4, bidi: bidi);
            AddLinear(w, "head.", headRows, bidi ? 8 : 4, bias: true);
            return w;
        }
        Assert.Contains("--vocab FILE", Fails(Char()));
        Assert.Contains("no vocabulary", Fails(Char(), new TorchImportOptions { VocabFromMetadata = true }));
        var w = Char();
        w.Metadata["vocab"] = "[\"a\",\"b\",\"c\"]";
        Assert.Contains("3 characters, but the embedding has 5 rows", Fails(w));
        w = Char();
        w.Metadata["vocab"] = "[\"a\",\"b\",\"a\",\"c\",\"d\"]";
        Assert.Contains("twice", Fails(w));
        w = Char();
        w.Metadata["vocab"] = "[\"a\",\"bc\",\"d\",\"e\",\"f\"]";
        Assert.Contains("not exactly one character", Fails(w));
        w = Char();
        w.Metadata["vocab"] = "{not json";
        Assert.Contains("not a JSON array", Fails(w));
        w = Char();
        w.Metadata["vocab"] = "\"xyz\\u00e9\\n\"";   // a JSON string of the characters also works
        Assert.Equal("charlm", Import(w));
        File.Delete(Tmp("out.safetensors"));

        string vocabFile = Tmp("vocab.json");
        File.WriteAllText(vocabFile, Vocab5);
        Assert.Equal("charlm", Import(Char(), new TorchImportOptions { VocabFile = vocabFile }));
        File.Delete(Tmp("out.safetensors"));
        Assert.Contains("not both", Fails(Char(), new TorchImportOptions { VocabFile = vocabFile, VocabFromMetadata = true }));
        Assert.Contains("no such file", Fails(Char(), new TorchImportOptions { VocabFile = Tmp("nope.json") }));

        w = Char(bidi: true);
        w.Metadata["vocab"] = Vocab5;
        string m = Fails(w);
        Assert.Contains("bidirectional", m);
        Assert.Contains("--embedding none --head none", m);
        Assert.Contains("6 outputs but the embedding 5 rows", Fails(Char(headRows: 6), new TorchImportOptions { VocabFile = vocabFile }));
        var alone = TorchImport.Import(Save(Char(bidi: true)), Tmp("out.safetensors"), new TorchImportOptions { Embedding = "none", Head = "none" });
        Assert.Equal(LayerModel.Kind, alone.Kind);
        Assert.Contains(alone.Notes, n => n.Contains("left out") && n.Contains("embed") && n.Contains("head"));
    }

    [Fact]
    public void Corrupted_files_and_recur_models_are_refused_clearly()
    {
        var w = new SafetensorsWriter();
        AddRnn(w, "rnn.", 4, 3, 4);
        string p = Save(w);
        var bytes = File.ReadAllBytes(p);
        File.WriteAllBytes(p, bytes[..^10]);
        var e = Assert.Throws<InvalidDataException>(() => TorchImport.Import(p, Tmp("out.safetensors"), new TorchImportOptions()));
        Assert.Contains("not a valid safetensors file", e.Message);
        Assert.Contains("truncated", e.Message);   // the reader's own words follow
        File.WriteAllBytes(p, "PK\u0003\u0004 a zip, as torch.save writes"u8.ToArray());
        e = Assert.Throws<InvalidDataException>(() => TorchImport.Import(p, Tmp("out.safetensors"), new TorchImportOptions()));
        Assert.Contains("not a valid safetensors file", e.Message);

        Import(w);
        e = Assert.Throws<InvalidDataException>(() => TorchImport.Import(Tmp("out.safetensors"), Tmp("again.safetensors"), new TorchImportOptions()));
        Assert.Contains("already a Recur model", e.Message);
        Assert.Throws<ArgumentException>(() => TorchImport.Import(Tmp("out.safetensors"), Tmp("out.safetensors"), new TorchImportOptions()));
    }
}
