using Recur.Cells;
using Recur.Layers;
using Recur.Tasks;
using Recur.Tensors;

namespace Recur.Interop;

/// <summary>
/// What an ONNX export needs to know of a model: the recurrent stack's shape, the optional embedding (token input)
/// and head, and its tensors by model-file name (<c>rnn.weight_ih_l0</c>, <c>embedding.weight</c>, <c>head.weight</c> …).
/// </summary>
public sealed record OnnxExportSource(RecurrentOptions Rnn, int VocabSize, int HeadSize, Func<string, Tensor> Tensor)
{
    /// <summary>A bare recurrent stack (kind <c>layer</c>): input x <c>[T, B, I]</c>, output <c>[T, B, D·Hout]</c>.</summary>
    public static OnnxExportSource FromRecurrent(Recurrent rnn) =>
        new(rnn.Options, 0, 0, name => name.StartsWith(LayerModel.Prefix, StringComparison.Ordinal)
            ? rnn[name[LayerModel.Prefix.Length..]].Value
            : throw new KeyNotFoundException(name));

    /// <summary>A char model: tokens <c>[T, B]</c> → Embedding → stack → head → logits <c>[T, B, V]</c>.</summary>
    public static OnnxExportSource FromCharLm(CharLmModel model)
    {
        var o = model.Network.Options;
        return new(new RecurrentOptions(o.Cell, o.InputSize, o.HiddenSize, o.NumLayers, false, o.ProjSize),
            o.VocabSize, o.OutputSize, name => model.Network[name].Value);
    }
}

/// <summary>
/// Writes a model as an ONNX graph of standard operators: <c>LSTM</c> / <c>GRU</c> / <c>RNN</c> per layer (layout 0,
/// float32), <c>Gather</c> for the embedding, <c>MatMul</c> + <c>Add</c> for the head; dynamic <c>seq</c> and
/// <c>batch</c> axes; the initial states <c>h0</c> (<c>c0</c>) are optional inputs (zeros when not given).
/// <para>Conversions at the border (DESIGN.md §4): PyTorch's LSTM gates i, f, g, o become ONNX's i, o, f, c and the
/// peepholes i, o, f; GRU r, z, n become z, r, h with <c>linear_before_reset</c> = 1 for reset-after (PyTorch) and 0 for
/// reset-before. Recur's coupled LSTM (i = 1 − f) is exported with <c>input_forget</c> = 1, which ONNX Runtime computes
/// as f = 1 − i from the input-gate rows: so the input-gate slot gets the <i>negated</i> forget-gate rows and biases,
/// i = σ(−a_f) = 1 − σ(a_f), and ONNX Runtime's f = 1 − i = σ(a_f) is Recur's forget gate.</para>
/// </summary>
public static class OnnxExport
{
    public const int DefaultOpset = 17, MinOpset = 14, MaxOpset = 23;

    public static byte[] Export(OnnxExportSource source, int opset = DefaultOpset)
    {
        var o = source.Rnn;
        if (opset < MinOpset || opset > MaxOpset)
            throw new ArgumentException($"--opset {opset} is not supported: LSTM/GRU/RNN with layout = 0 need opset {MinOpset} to {MaxOpset}");
        if (o.ProjSize > 0)
            throw new ArgumentException($"a projected LSTM (proj_size {o.ProjSize}) cannot be exported: ONNX's LSTM operator has no projection");
        var g = new GraphBuilder();
        int D = o.Directions, H = o.HiddenSize, S = o.NumLayers * D;
        bool lstm = o.Cell.IsLstm();

        // Input: token ids [seq, batch] through the embedding, or features [seq, batch, I].
        string seq;
        if (source.VocabSize > 0)
        {
            g.Inputs.Add(Onnx.ValueInfo("tokens", OnnxType.Int64, "seq", "batch"));
            g.Initializer("embedding.weight", source.Tensor("embedding.weight"));
            seq = g.Node("Gather", ["embedding.weight", "tokens"], [Onnx.Attr("axis", 0L)]);
        }
        else
        {
            g.Inputs.Add(Onnx.ValueInfo("x", OnnxType.Float, "seq", "batch", o.InputSize));
            seq = "x";
        }

        // Initial states: graph inputs with a zero initializer [S, 1, ·] as the default, expanded to the batch.
        string shape = g.Node("Shape", [seq]);
        string batch = g.Node("Slice", [shape, g.Const("one", [1L]), g.Const("two", [2L]), g.Const("zero", [0L])]);
        string h0 = InitialState(g, "h0", S, H, batch);
        string? c0 = lstm ? InitialState(g, "c0", S, H, batch) : null;

        var hn = new List<string>();
        var cn = new List<string>();
        for (int k = 0; k < o.NumLayers; k++)
        {
            string hk = o.NumLayers == 1 ? h0 : g.Node("Slice", [h0, g.Const($"start_l{k}", [(long)k * D]), g.Const($"end_l{k}", [(long)(k + 1) * D]), g.Const("zero", [0L])]);
            string? ck = c0 is null ? null : o.NumLayers == 1 ? c0 : g.Node("Slice", [c0, g.Const($"start_l{k}", [(long)k * D]), g.Const($"end_l{k}", [(long)(k + 1) * D]), g.Const("zero", [0L])]);
            var (y, yh, yc) = Layer(g, source, k, seq, hk, ck);
            hn.Add(yh);
            if (yc is not null) cn.Add(yc);
            // Y [T, D, B, H] → [T, B, D·H]
            seq = D == 1
                ? g.Node("Squeeze", [y, g.Const("one", [1L])])
                : g.Node("Reshape", [g.Node("Transpose", [y], [Onnx.Attr("perm", new long[] { 0, 2, 1, 3 })]), g.Const("shape_tb_flat", [0L, 0L, -1L])]);
        }

        string outName;
        int outWidth;
        if (source.HeadSize > 0)
        {
            var w = source.Tensor("head.weight");   // [O, Hout]
            int O = w.Dim(0), I = w.Dim(1);
            var wt = new float[I * O];
            for (int r = 0; r < O; r++)
                for (int c = 0; c < I; c++) wt[c * O + r] = w.Span[r * I + c];
            g.Initializer("head.weight_t", wt, I, O);
            g.Initializer("head.bias", source.Tensor("head.bias"));
            string mm = g.Node("MatMul", [seq, "head.weight_t"]);
            g.Nodes.Add(Onnx.Node("Add", "head_add", [mm, "head.bias"], ["logits"]));
            outName = "logits";
            outWidth = O;
        }
        else
        {
            g.Nodes.Add(Onnx.Node("Identity", "output_identity", [seq], ["output"]));
            outName = "output";
            outWidth = o.OutputSize;
        }
        Concat(g, hn, "h_n");
        if (lstm) Concat(g, cn, "c_n");

        g.Outputs.Add(Onnx.ValueInfo(outName, OnnxType.Float, "seq", "batch", outWidth));
        g.Outputs.Add(Onnx.ValueInfo("h_n", OnnxType.Float, S, "batch", H));
        if (lstm) g.Outputs.Add(Onnx.ValueInfo("c_n", OnnxType.Float, S, "batch", H));

        string doc = $"Recur {o.Cell.CliName()}: {o.NumLayers} layer(s) × {H}{(o.Bidirectional ? ", bidirectional" : "")}"
            + (source.VocabSize > 0 ? $", embedding {source.VocabSize}×{o.InputSize}" : $", input {o.InputSize}")
            + (source.HeadSize > 0 ? $", head → {source.HeadSize}" : "");
        var graph = Onnx.Graph("recur", g.Nodes, g.Initializers, g.Inputs, g.Outputs, doc);
        return Onnx.Model(graph, opset, typeof(OnnxExport).Assembly.GetName().Version?.ToString() ?? "0", doc);
    }

    private static string InitialState(GraphBuilder g, string name, int S, int width, string batch)
    {
        g.Inputs.Add(Onnx.ValueInfo(name, OnnxType.Float, S, "batch", width));
        g.Initializer(name, new float[S * width], S, 1, width);
        string target = g.Node("Concat", [g.Const($"{name}_s", [(long)S]), batch, g.Const($"{name}_w", [(long)width])], [Onnx.Attr("axis", 0L)]);
        return g.Node("Expand", [name, target]);
    }

    private static void Concat(GraphBuilder g, List<string> parts, string output)
    {
        if (parts.Count == 1) g.Nodes.Add(Onnx.Node("Identity", output + "_identity", [parts[0]], [output]));
        else g.Nodes.Add(Onnx.Node("Concat", output + "_concat", parts.ToArray(), [output], Onnx.Attr("axis", 0L)));
    }

    // PyTorch block j → ONNX position: LSTM i,f,g,o → i,o,f,c takes blocks 0,3,1,2; GRU r,z,n → z,r,h takes 1,0,2.
    private static readonly int[] LstmOrder = [0, 3, 1, 2], GruOrder = [1, 0, 2], RnnOrder = [0];

    private static (string Y, string Yh, string? Yc) Layer(GraphBuilder g, OnnxExportSource source, int k, string x, string h0, string? c0)
    {
        var o = source.Rnn;
        int D = o.Directions, H = o.HiddenSize, G = o.Cell.Gates();
        int input = k == 0 ? o.InputSize : o.OutputSize;
        var order = o.Cell.IsLstm() ? LstmOrder : o.Cell.IsGru() ? GruOrder : RnnOrder;
        bool coupled = o.Cell == CellType.LstmCoupled;
        var W = new float[D * G * H * input];
        var R = new float[D * G * H * H];
        var B = new float[D * 2 * G * H];
        var P = o.Cell == CellType.LstmPeephole ? new float[D * 3 * H] : null;
        for (int d = 0; d < D; d++)
        {
            string sfx = Recurrent.Suffix(k, d);
            var wih = source.Tensor("rnn.weight_ih" + sfx).Span;
            var whh = source.Tensor("rnn.weight_hh" + sfx).Span;
            var bih = source.Tensor("rnn.bias_ih" + sfx).Span;
            var bhh = source.Tensor("rnn.bias_hh" + sfx).Span;
            for (int j = 0; j < G; j++)
            {
                int src = order[j];
                // Coupled: ONNX's input slot (j = 0) holds −(forget rows) (PyTorch block 1), see the class comment.
                float sign = 1f;
                if (coupled && j == 0) { src = 1; sign = -1f; }
                Block(wih, src, H * input, W.AsSpan((d * G + j) * H * input, H * input), sign);
                Block(whh, src, H * H, R.AsSpan((d * G + j) * H * H, H * H), sign);
                Block(bih, src, H, B.AsSpan(d * 2 * G * H + j * H, H), sign);
                Block(bhh, src, H, B.AsSpan(d * 2 * G * H + G * H + j * H, H), sign);
            }
            if (P is not null)
            {
                source.Tensor("rnn.peephole_i" + sfx).Span.CopyTo(P.AsSpan(d * 3 * H, H));
                source.Tensor("rnn.peephole_o" + sfx).Span.CopyTo(P.AsSpan(d * 3 * H + H, H));
                source.Tensor("rnn.peephole_f" + sfx).Span.CopyTo(P.AsSpan(d * 3 * H + 2 * H, H));
            }
        }
        string l = $"rnn.l{k}";
        g.Initializer(l + ".W", W, D, G * H, input);
        g.Initializer(l + ".R", R, D, G * H, H);
        g.Initializer(l + ".B", B, D, 2 * G * H);
        if (P is not null) g.Initializer(l + ".P", P, D, 3 * H);

        var attrs = new List<ProtoMessage>
        {
            Onnx.Attr("hidden_size", (long)H),
            Onnx.Attr("direction", D == 2 ? "bidirectional" : "forward"),
            Onnx.Attr("layout", 0L),
        };
        string op;
        string[] inputs;
        string y = l + ".Y", yh = l + ".Y_h";
        string? yc = null;
        if (o.Cell.IsLstm())
        {
            op = "LSTM";
            if (coupled) attrs.Add(Onnx.Attr("input_forget", 1L));
            inputs = [x, l + ".W", l + ".R", l + ".B", "", h0, c0!, P is null ? "" : l + ".P"];
            if (P is null) inputs = inputs[..7];
            yc = l + ".Y_c";
        }
        else if (o.Cell.IsGru())
        {
            op = "GRU";
            attrs.Add(Onnx.Attr("linear_before_reset", o.Cell == CellType.Gru ? 1L : 0L));
            inputs = [x, l + ".W", l + ".R", l + ".B", "", h0];
        }
        else
        {
            op = "RNN";
            string act = o.Cell == CellType.RnnRelu ? "Relu" : "Tanh";
            attrs.Add(Onnx.Attr("activations", Enumerable.Repeat(act, D).ToArray()));
            inputs = [x, l + ".W", l + ".R", l + ".B", "", h0];
        }
        g.Nodes.Add(Onnx.Node(op, l, inputs, yc is null ? [y, yh] : [y, yh, yc], attrs.ToArray()));
        return (y, yh, yc);
    }

    private static void Block(ReadOnlySpan<float> src, int block, int size, Span<float> dst, float sign)
    {
        var s = src.Slice(block * size, size);
        for (int i = 0; i < size; i++) dst[i] = sign * s[i];
    }

    private sealed class GraphBuilder
    {
        private readonly HashSet<string> _consts = [];
        private int _next;
        public readonly List<ProtoMessage> Nodes = [], Initializers = [], Inputs = [], Outputs = [];

        public void Initializer(string name, Tensor t) => Initializers.Add(Onnx.Tensor(name, t.Span, t.Shape.Select(d => (long)d).ToArray()));

        public void Initializer(string name, float[] values, params long[] dims) => Initializers.Add(Onnx.Tensor(name, values, dims));

        /// <summary>An int64 constant (an initializer, added once per name).</summary>
        public string Const(string name, long[] values)
        {
            string full = "const." + name;
            if (_consts.Add(full)) Initializers.Add(Onnx.Tensor(full, values, values.Length));
            return full;
        }

        /// <summary>Adds a node with one output and returns the output's name.</summary>
        public string Node(string op, string[] inputs, ProtoMessage[]? attributes = null)
        {
            string name = $"{op.ToLowerInvariant()}_{_next++}";
            Nodes.Add(Onnx.Node(op, name, inputs, [name], attributes ?? []));
            return name;
        }
    }
}
