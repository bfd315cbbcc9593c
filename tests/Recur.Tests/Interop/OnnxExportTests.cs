using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Recur.Cells;
using Recur.Data;
using Recur.Interop;
using Recur.Layers;
using Recur.Tasks;
using Tensor = Recur.Tensors.Tensor;
using Xunit.Abstractions;

namespace Recur.Tests.Interop;

/// <summary>
/// Exported graphs run in ONNX Runtime and give Recur's forward pass: output, h_n, c_n within
/// 1e-5 × max(1, max|value|), with and without initial states, at two batch sizes and sequence lengths
/// (the axes are dynamic).
/// </summary>
public sealed class OnnxExportTests(ITestOutputHelper log)
{
    private static float[] Random(Random rng, int n, double scale = 1)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        return a;
    }

    private static Dictionary<string, float[]> Run(byte[] model, IEnumerable<NamedOnnxValue> inputs)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(model, options);
        using var results = session.Run(inputs.ToList());
        return results.ToDictionary(r => r.Name, r => r.AsTensor<float>().ToArray());
    }

    /// <summary>max |a − b| and max |b|; asserts the tolerance of the issue.</summary>
    private double Compare(string what, ReadOnlySpan<float> onnx, ReadOnlySpan<float> recur)
    {
        Assert.Equal(recur.Length, onnx.Length);
        double err = 0, max = 0;
        for (int i = 0; i < recur.Length; i++)
        {
            err = Math.Max(err, Math.Abs(onnx[i] - recur[i]));
            max = Math.Max(max, Math.Abs(recur[i]));
        }
        double tol = 1e-5 * Math.Max(1, max);
        log.WriteLine($"{what}: max |ORT − Recur| = {err:E2} (max |value| {max:F3}, tolerance {tol:E1})");
        Assert.True(err <= tol, $"{what}: max error {err:E3} > {tol:E3}");
        Assert.True(max > 0.05, $"{what}: the values are all near zero, the comparison would prove nothing");
        return err;
    }

    [Theory]
    [InlineData("lstm", 1, false)]
    [InlineData("lstm", 3, false)]
    [InlineData("lstm", 1, true)]
    [InlineData("lstm", 2, true)]
    [InlineData("lstm-peephole", 1, false)]
    [InlineData("lstm-peephole", 2, true)]
    [InlineData("lstm-coupled", 1, false)]
    [InlineData("lstm-coupled", 2, true)]
    [InlineData("gru", 1, false)]
    [InlineData("gru", 2, true)]
    [InlineData("gru-reset-before", 1, false)]
    [InlineData("gru-reset-before", 2, true)]
    [InlineData("rnn", 2, false)]
    [InlineData("rnn", 1, true)]
    [InlineData("rnn-relu", 2, true)]
    public void Recurrent_stack_matches_onnx_runtime(string cell, int layers, bool bidirectional)
    {
        var type = CellTypes.Parse(cell);
        const int I = 5, H = 7;
        var rnn = new Recurrent(new RecurrentOptions(type, I, H, layers, bidirectional), seed: 11 + layers);
        var rng = new Random(3);
        // Peepholes are drawn like the other weights; make them larger so that a wrong P order would show.
        if (type == CellType.LstmPeephole)
            foreach (var p in rnn.Parameters.Where(p => p.Name.StartsWith("peephole", StringComparison.Ordinal)))
                Random(rng, p.Value.Length, 0.8).CopyTo(p.Value.Span);
        byte[] model = OnnxExport.Export(OnnxExportSource.FromRecurrent(rnn));
        var o = rnn.Options;
        int S = layers * o.Directions;

        foreach (var (T, B, withStates) in new[] { (6, 3, false), (4, 2, true), (1, 1, true) })
        {
            var x = new Tensor(Random(rng, T * B * I, 1.5), T, B, I);
            Tensor? h0 = withStates ? new Tensor(Random(rng, S * B * H), S, B, H) : null;
            Tensor? c0 = withStates && type.IsLstm() ? new Tensor(Random(rng, S * B * H, 2), S, B, H) : null;
            var expected = rnn.Forward(x, h0, c0);

            var inputs = new List<NamedOnnxValue> { NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(x.Data, new[] { T, B, I })) };
            if (h0 is not null) inputs.Add(NamedOnnxValue.CreateFromTensor("h0", new DenseTensor<float>(h0.Data, new[] { S, B, H })));
            if (c0 is not null) inputs.Add(NamedOnnxValue.CreateFromTensor("c0", new DenseTensor<float>(c0.Data, new[] { S, B, H })));
            var got = Run(model, inputs);

            string what = $"{cell} L={layers}{(bidirectional ? " bidi" : "")} T={T} B={B}{(withStates ? " h0/c0" : "")}";
            Compare(what + " output", got["output"], expected.Output.Span);
            Compare(what + " h_n", got["h_n"], expected.HN.Span);
            if (type.IsLstm()) Compare(what + " c_n", got["c_n"], expected.CN!.Span);
            else Assert.False(got.ContainsKey("c_n"));
        }
    }

    [Theory]
    [InlineData("lstm", 2)]
    [InlineData("gru", 1)]
    [InlineData("rnn-relu", 2)]
    public void Char_model_with_embedding_and_head_matches_onnx_runtime(string cell, int layers)
    {
        var vocab = Vocabulary.FromText("abcdefghij .,\n");
        var m = CharLmModel.Create(new CharLmConfig { Cell = cell, Embed = 6, Hidden = 9, Layers = layers, VocabSize = vocab.Count }, vocab, seed: 5);
        byte[] model = OnnxExport.Export(OnnxExportSource.FromCharLm(m));
        var rng = new Random(8);
        int V = vocab.Count, H = 9, S = layers;
        foreach (var (T, B, withStates) in new[] { (7, 2, false), (3, 4, true) })
        {
            var ids = new int[T * B];
            for (int i = 0; i < ids.Length; i++) ids[i] = rng.Next(V);
            var state = m.Network.CreateState(B);
            if (withStates)
            {
                Random(rng, S * B * H).CopyTo(state.H[0].Span);
                if (state.C[0] is { } c) Random(rng, S * B * H).CopyTo(c.Span);
            }
            var h0 = state.H[0].Clone();
            var c0 = state.C[0]?.Clone();
            var logits = m.Network.Forward(ids, T, B, state).ToArray();

            var inputs = new List<NamedOnnxValue> { NamedOnnxValue.CreateFromTensor("tokens", new DenseTensor<long>(ids.Select(i => (long)i).ToArray(), new[] { T, B })) };
            if (withStates)
            {
                inputs.Add(NamedOnnxValue.CreateFromTensor("h0", new DenseTensor<float>(h0.Data, new[] { S, B, H })));
                if (c0 is not null) inputs.Add(NamedOnnxValue.CreateFromTensor("c0", new DenseTensor<float>(c0.Data, new[] { S, B, H })));
            }
            var got = Run(model, inputs);
            string what = $"char {cell} L={layers} T={T} B={B}{(withStates ? " h0/c0" : "")}";
            Compare(what + " logits", got["logits"], logits);
            Compare(what + " h_n", got["h_n"], state.H[0].Span);
            if (c0 is not null) Compare(what + " c_n", got["c_n"], state.C[0]!.Span);
        }
    }

    [Fact]
    public void Projected_lstm_and_bad_opsets_are_refused_clearly()
    {
        var rnn = new Recurrent(new RecurrentOptions(CellType.Lstm, 4, 6, 1, false, 3));
        var e = Assert.Throws<ArgumentException>(() => OnnxExport.Export(OnnxExportSource.FromRecurrent(rnn)));
        Assert.Contains("proj_size 3", e.Message);
        Assert.Contains("no projection", e.Message);
        var plain = new Recurrent(new RecurrentOptions(CellType.Gru, 4, 6));
        Assert.Contains("opset 13", Assert.Throws<ArgumentException>(() => OnnxExport.Export(OnnxExportSource.FromRecurrent(plain), 13)).Message);
    }

    [Theory]
    [InlineData(14)]
    [InlineData(23)]
    public void Opsets_at_both_ends_load_and_run(int opset)
    {
        var rnn = new Recurrent(new RecurrentOptions(CellType.Lstm, 3, 4, 2, true), seed: 2);
        byte[] model = OnnxExport.Export(OnnxExportSource.FromRecurrent(rnn), opset);
        var x = new Tensor(Random(new Random(1), 5 * 2 * 3, 2), 5, 2, 3);
        var got = Run(model, [NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(x.Data, new[] { 5, 2, 3 }))]);
        Compare($"opset {opset}", got["output"], rnn.Forward(x).Output.Span);
    }
}
