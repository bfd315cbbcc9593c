using System.Text.RegularExpressions;
using Recur.Cells;
using Recur.Layers;
using Recur.Tensors;
using Recur.Tests.Reference;

namespace Recur.Tests.Layers;

/// <summary>
/// Behaviour of <see cref="Recurrent"/> beyond the numbers of one forward/backward: streaming = batch,
/// batch-first = time-major, clear shape errors, PyTorch parameter names and shapes, the recorder,
/// gradient accumulation.
/// </summary>
public class RecurrentBehaviourTests
{
    private const double Tol = 1e-5;

    public static TheoryData<CellType> AllCells()
    {
        var d = new TheoryData<CellType>();
        foreach (var c in Enum.GetValues<CellType>()) d.Add(c);
        return d;
    }

    // ---------------------------------------------------------------- streaming = batch

    public static TheoryData<CellType, int, int> StreamingCases()
    {
        var d = new TheoryData<CellType, int, int>();
        foreach (var c in Enum.GetValues<CellType>())
        {
            d.Add(c, 1, 0);
            d.Add(c, 3, 0);
            if (c.IsLstm()) d.Add(c, 2, 3);
        }
        return d;
    }

    /// <summary>Widths at which the tiny-batch LSTM step splits its hidden units over threads (work ≥ the
    /// parallel threshold), with a unit count that is not a multiple of 16 (136) and several batch sizes.</summary>
    [Theory]
    [InlineData(CellType.Lstm, 128, 1)]
    [InlineData(CellType.Lstm, 136, 3)]
    [InlineData(CellType.LstmPeephole, 136, 1)]
    [InlineData(CellType.LstmCoupled, 128, 4)]
    public void Wide_tiny_batch_lstm_streaming_equals_batch_forward(CellType cell, int hidden, int batch)
    {
        var o = new RecurrentOptions(cell, 33, hidden, NumLayers: 2);
        var c = RefCase.Create(o, 5, batch, seed: 70 + hidden + batch);
        var want = c.LayerForward();
        var state = c.Layer.CreateState(batch, c.H0Tensor(), c.C0Tensor());
        var output = new float[batch * hidden];
        for (int t = 0; t < c.T; t++)
        {
            c.Layer.Step(c.X.AsSpan(t * batch * o.InputSize, batch * o.InputSize), state, output);
            Compare.Close($"{c}: streamed output at t={t}", want.Output.TimeStep(t), output, Tol);
        }
        Compare.Close($"{c}: streamed final c", want.CN!.Span, state.C!.Span, Tol);
    }

    [Theory]
    [MemberData(nameof(StreamingCases))]
    public void Streaming_steps_equal_batch_forward(CellType cell, int layers, int proj)
    {
        var o = new RecurrentOptions(cell, 3, 19, NumLayers: layers, ProjSize: proj);
        // batch 5 for the deep stack: more rows than the small-batch GEMV path takes
        var c = RefCase.Create(o, 7, layers == 3 ? 5 : 2, seed: 40 + (int)cell * 3 + layers);
        var batch = c.LayerForward();

        int L = layers, B = c.B, Ho = o.StateSize;
        var state = c.Layer.CreateState(B, c.H0Tensor(), c.C0Tensor());
        Assert.Equal([L, B, Ho], state.H.Shape);
        var output = new float[B * Ho];
        for (int t = 0; t < c.T; t++)
        {
            var xt = c.X.AsSpan(t * B * o.InputSize, B * o.InputSize);
            c.Layer.Step(xt, state, output);
            Compare.Close($"{c}: streamed output at t={t}", batch.Output.TimeStep(t), output, Tol);
        }
        Compare.Close($"{c}: streamed final h", batch.HN.Span, state.H.Span, Tol);
        if (c.HasC)
        {
            Assert.NotNull(state.C);
            Compare.Close($"{c}: streamed final c", batch.CN!.Span, state.C!.Span, Tol);
        }
        else
        {
            Assert.Null(state.C);
        }

        // a zero state (no h0/c0) equals the batch forward without initial states, also after Reset
        var zeroBatch = c.Layer.Forward(c.XTensor());
        var s0 = c.Layer.CreateState(B);
        for (int pass = 0; pass < 2; pass++)
        {
            for (int t = 0; t < c.T; t++)
            {
                c.Layer.Step(c.X.AsSpan(t * B * o.InputSize, B * o.InputSize), s0, output);
                Compare.Close($"{c}: streamed output from a zero state at t={t} (pass {pass})", zeroBatch.Output.TimeStep(t), output, Tol);
            }
            Compare.Close($"{c}: streamed final h from a zero state", zeroBatch.HN.Span, s0.H.Span, Tol);
            s0.Reset();
        }
    }

    [Fact]
    public void Streaming_with_batch_one_carries_state_across_calls()
    {
        var o = new RecurrentOptions(CellType.Lstm, 4, 6, NumLayers: 2);
        var c = RefCase.Create(o, 9, 1, seed: 77);
        var batch = c.LayerForward();
        var state = c.Layer.CreateState(1, c.H0Tensor(), c.C0Tensor());
        var y = new float[o.StateSize];
        for (int t = 0; t < c.T; t++)
        {
            c.Layer.Step(c.X.AsSpan(t * o.InputSize, o.InputSize), state, y);
            Compare.Close($"batch-1 streamed output t={t}", batch.Output.TimeStep(t), y, Tol);
        }
    }

    [Theory]
    [InlineData(CellType.Lstm)]
    [InlineData(CellType.GruResetBefore)]
    public void Streaming_between_Forward_and_Backward_does_not_disturb_Backward(CellType cell)
    {
        var o = new RecurrentOptions(cell, 3, 4, NumLayers: 2);
        var c = RefCase.Create(o, 5, 2, seed: 12);
        c.Layer.ZeroGrad();
        c.LayerForward();
        var g1 = c.LayerBackward();
        var want = c.Layer.Parameters.Select(p => p.Grad.Clone()).ToList();

        c.Layer.ZeroGrad();
        c.LayerForward();
        var s = c.Layer.CreateState(3);
        var y = new float[3 * o.StateSize];
        for (int t = 0; t < 4; t++) c.Layer.Step(RefCase.Normal(new Random(t), 3 * 3), s, y);
        var g2 = c.LayerBackward();
        Compare.Close("grad x after interleaved streaming", g1.X.Span, g2.X.Span, 0);
        for (int i = 0; i < want.Count; i++)
            Compare.Close($"{c.Layer.Parameters[i].Name} after interleaved streaming", want[i].Span, c.Layer.Parameters[i].Grad.Span, 0);
    }

    // ---------------------------------------------------------------- reuse across calls

    [Theory]
    [InlineData(CellType.Lstm)]
    [InlineData(CellType.LstmPeephole)]
    [InlineData(CellType.Gru)]
    [InlineData(CellType.RnnTanh)]
    public void Changed_parameters_and_shapes_between_calls_are_honoured(CellType cell)
    {
        var o = new RecurrentOptions(cell, 3, 4, NumLayers: 2, Bidirectional: true, ProjSize: cell.IsLstm() ? 3 : 0);
        var a = RefCase.Create(o, 5, 2, seed: 31);
        a.LayerForward();
        a.LayerBackward();

        // an optimizer step changes every parameter (biases included) in place
        var rng = new Random(4);
        foreach (var p in a.Layer.Parameters)
            for (int i = 0; i < p.Value.Length; i++) p.Value[i] += (float)(0.05 * (rng.NextDouble() - 0.5));

        // then a batch of another shape, with lengths: the same layer object must give the reference's numbers
        var b = RefCase.Create(o, 3, 5, seed: 32, lengths: [3, 1, 2, 3, 2]);
        var other = b.Layer;
        foreach (var p in a.Layer.Parameters) p.Value.Span.CopyTo(other[p.Name].Value.Span);
        var r = a.Layer.Forward(b.XTensor(), b.H0Tensor(), b.C0Tensor(), b.LengthsCopy());
        var want = b.ReferenceForward();
        Compare.Close($"{b} output after a parameter update and a new shape", want.Output, r.Output.Span, Tol);
        Compare.Close($"{b} h_n after a parameter update and a new shape", want.HN, r.HN.Span, Tol);

        // and its Backward equals that of a fresh layer with the same parameters on the same batch
        a.Layer.ZeroGrad();
        var ga = a.Layer.Backward(b.GradOutputTensor(), b.GradHNTensor(), b.GradCNTensor());
        other.ZeroGrad();
        b.LayerForward();
        var gb = b.LayerBackward();
        Compare.Close("grad x of the reused layer", gb.X.Span, ga.X.Span, 1e-6);
        foreach (var p in other.Parameters)
            Compare.Close($"grad {p.Name} of the reused layer", p.Grad.Span, a.Layer[p.Name].Grad.Span, 1e-6);
    }

    // ---------------------------------------------------------------- batch-first

    [Theory]
    [InlineData(CellType.Lstm, false)]
    [InlineData(CellType.Gru, true)]
    [InlineData(CellType.RnnTanh, true)]
    public void Batch_first_equals_time_major_on_transposed_input(CellType cell, bool withLengths)
    {
        var o = new RecurrentOptions(cell, 3, 4, NumLayers: 2, Bidirectional: true);
        int[]? lengths = withLengths ? [5, 2, 4] : null;
        var c = RefCase.Create(o, 5, 3, seed: 91, lengths);
        var tm = c.LayerForward();

        int T = c.T, B = c.B, I = o.InputSize, W = o.OutputSize;
        var xbf = new float[B * T * I];
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++)
                for (int i = 0; i < I; i++)
                    xbf[(b * T + t) * I + i] = c.X[(t * B + b) * I + i];
        var bf = c.Layer.ForwardBatchFirst(new Tensor(xbf, B, T, I), c.H0Tensor(), c.C0Tensor(), c.LengthsCopy());

        Assert.Equal([B, T, W], bf.Output.Shape);
        var want = new float[B * T * W];
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++)
                for (int j = 0; j < W; j++)
                    want[(b * T + t) * W + j] = tm.Output.Span[(t * B + b) * W + j];
        Compare.Close("batch-first output", want, bf.Output.Span, 0);
        Compare.Close("batch-first h_n", tm.HN.Span, bf.HN.Span, 0);
        if (c.HasC) Compare.Close("batch-first c_n", tm.CN!.Span, bf.CN!.Span, 0);
    }

    // ---------------------------------------------------------------- defaults

    [Theory]
    [InlineData(CellType.Lstm)]
    [InlineData(CellType.GruResetBefore)]
    public void Missing_initial_states_and_upstream_state_gradients_mean_zeros(CellType cell)
    {
        var o = new RecurrentOptions(cell, 3, 4, NumLayers: 2, Bidirectional: true);
        var c = RefCase.Create(o, 4, 2, seed: 5);
        int LD = c.StateCount;
        var zH = new Tensor(LD, c.B, o.StateSize);
        var zC = c.HasC ? new Tensor(LD, c.B, o.HiddenSize) : null;

        var a = c.Layer.Forward(c.XTensor());
        var want = ReferenceRnn.Forward(o, c.ParamsDouble(), RefCase.ToDouble(c.X), c.T, c.B);
        Compare.Close("output without h0/c0 vs reference", want.Output, a.Output.Span, Tol);

        c.Layer.ZeroGrad();
        var ga = c.Layer.Backward(c.GradOutputTensor());
        var pa = c.Layer.Parameters.Select(p => p.Grad.Clone()).ToList();

        var b = c.Layer.Forward(c.XTensor(), zH, zC);
        Compare.Close("output with zero h0/c0", a.Output.Span, b.Output.Span, 0);
        c.Layer.ZeroGrad();
        var gb = c.Layer.Backward(c.GradOutputTensor(), new Tensor(LD, c.B, o.StateSize), c.HasC ? new Tensor(LD, c.B, o.HiddenSize) : null);
        Compare.Close("grad x with zero upstream state gradients", ga.X.Span, gb.X.Span, 0);
        for (int i = 0; i < pa.Count; i++)
            Compare.Close($"grad {c.Layer.Parameters[i].Name} with zero upstream state gradients", pa[i].Span, c.Layer.Parameters[i].Grad.Span, 0);
    }

    // ---------------------------------------------------------------- gradient accumulation

    [Theory]
    [InlineData(CellType.Lstm)]
    [InlineData(CellType.LstmPeephole)]
    [InlineData(CellType.Gru)]
    [InlineData(CellType.RnnRelu)]
    public void Backward_adds_into_parameter_gradients(CellType cell)
    {
        var o = new RecurrentOptions(cell, 3, 4, NumLayers: 2, Bidirectional: true);
        var c = RefCase.Create(o, 5, 2, seed: 17, lengths: [5, 3]);
        var x = c.XTensor();
        var h0 = c.H0Tensor();
        var gO = c.GradOutputTensor();
        var gH = c.GradHNTensor();
        var xCopy = x.Clone();
        var gOCopy = gO.Clone();

        c.Layer.ZeroGrad();
        c.Layer.Forward(x, h0, c.C0Tensor(), c.LengthsCopy());
        var g1 = c.Layer.Backward(gO, gH, c.GradCNTensor());
        var once = c.Layer.Parameters.Select(p => p.Grad.Clone()).ToList();
        Assert.Contains(once, g => g.Span.ContainsAnyExcept(0f));

        // Forward then Backward twice: 2×
        var g2 = c.Layer.Backward(gO, gH, c.GradCNTensor());
        for (int i = 0; i < once.Count; i++)
            Compare.Close($"{c.Layer.Parameters[i].Name} after two Backward calls", Scale(once[i], 2), c.Layer.Parameters[i].Grad.Span, 1e-6);
        Compare.Close("grad x of the second Backward (returned, not accumulated)", g1.X.Span, g2.X.Span, 0);
        Compare.Close("grad h0 of the second Backward", g1.H0.Span, g2.H0.Span, 0);

        // Forward + Backward once more: 3×
        c.Layer.Forward(x, h0, c.C0Tensor(), c.LengthsCopy());
        c.Layer.Backward(gO, gH, c.GradCNTensor());
        for (int i = 0; i < once.Count; i++)
            Compare.Close($"{c.Layer.Parameters[i].Name} after three Backward calls", Scale(once[i], 3), c.Layer.Parameters[i].Grad.Span, 1e-6);

        // ZeroGrad clears; inputs are left untouched
        c.Layer.ZeroGrad();
        Assert.All(c.Layer.Parameters, p => Assert.False(p.Grad.Span.ContainsAnyExcept(0f), $"{p.Name} not cleared"));
        Compare.Close("x after Forward/Backward", xCopy.Span, x.Span, 0);
        Compare.Close("gradOutput after Backward", gOCopy.Span, gO.Span, 0);
    }

    private static float[] Scale(Tensor t, float k) => t.Data.Select(v => v * k).ToArray();

    // ---------------------------------------------------------------- parameter names and shapes

    private static void AssertParameters(Recurrent layer, params (string Name, int[] Shape)[] expected)
    {
        var got = layer.Parameters.Select(p => $"{p.Name} {Tensor.ShapeString(p.Shape)}").ToArray();
        var want = expected.Select(e => $"{e.Name} {Tensor.ShapeString(e.Shape)}").ToArray();
        Assert.Equal(want, got);
        foreach (var (name, shape) in expected)
        {
            Assert.Equal(shape, layer[name].Shape);
            Assert.Equal(shape, layer[name].Grad.Shape);
            Assert.True(layer.TryGetParameter(name, out var p) && p.Name == name);
        }
    }

    [Fact]
    public void Lstm_two_layers_bidirectional_projection_has_pytorch_state_dict()
    {
        // torch.nn.LSTM(5, 4, num_layers=2, bidirectional=True, proj_size=3).state_dict()
        var layer = new Recurrent(new RecurrentOptions(CellType.Lstm, 5, 4, NumLayers: 2, Bidirectional: true, ProjSize: 3));
        AssertParameters(layer,
            ("weight_ih_l0", [16, 5]), ("weight_hh_l0", [16, 3]), ("bias_ih_l0", [16]), ("bias_hh_l0", [16]), ("weight_hr_l0", [3, 4]),
            ("weight_ih_l0_reverse", [16, 5]), ("weight_hh_l0_reverse", [16, 3]), ("bias_ih_l0_reverse", [16]), ("bias_hh_l0_reverse", [16]), ("weight_hr_l0_reverse", [3, 4]),
            ("weight_ih_l1", [16, 6]), ("weight_hh_l1", [16, 3]), ("bias_ih_l1", [16]), ("bias_hh_l1", [16]), ("weight_hr_l1", [3, 4]),
            ("weight_ih_l1_reverse", [16, 6]), ("weight_hh_l1_reverse", [16, 3]), ("bias_ih_l1_reverse", [16]), ("bias_hh_l1_reverse", [16]), ("weight_hr_l1_reverse", [3, 4]));
        Assert.False(layer.TryGetParameter("weight_hr_l2", out _));
        Assert.Throws<KeyNotFoundException>(() => layer["weight_ih_l2"]);
    }

    [Fact]
    public void Gru_rnn_and_peephole_parameters_have_pytorch_names_and_shapes()
    {
        // torch.nn.GRU(5, 4).state_dict()
        AssertParameters(new Recurrent(new RecurrentOptions(CellType.Gru, 5, 4)),
            ("weight_ih_l0", [12, 5]), ("weight_hh_l0", [12, 4]), ("bias_ih_l0", [12]), ("bias_hh_l0", [12]));
        AssertParameters(new Recurrent(new RecurrentOptions(CellType.GruResetBefore, 2, 3, NumLayers: 2, Bidirectional: true)),
            ("weight_ih_l0", [9, 2]), ("weight_hh_l0", [9, 3]), ("bias_ih_l0", [9]), ("bias_hh_l0", [9]),
            ("weight_ih_l0_reverse", [9, 2]), ("weight_hh_l0_reverse", [9, 3]), ("bias_ih_l0_reverse", [9]), ("bias_hh_l0_reverse", [9]),
            ("weight_ih_l1", [9, 6]), ("weight_hh_l1", [9, 3]), ("bias_ih_l1", [9]), ("bias_hh_l1", [9]),
            ("weight_ih_l1_reverse", [9, 6]), ("weight_hh_l1_reverse", [9, 3]), ("bias_ih_l1_reverse", [9]), ("bias_hh_l1_reverse", [9]));
        // torch.nn.RNN(5, 4, num_layers=3, nonlinearity='relu').state_dict()
        AssertParameters(new Recurrent(new RecurrentOptions(CellType.RnnRelu, 5, 4, NumLayers: 3)),
            ("weight_ih_l0", [4, 5]), ("weight_hh_l0", [4, 4]), ("bias_ih_l0", [4]), ("bias_hh_l0", [4]),
            ("weight_ih_l1", [4, 4]), ("weight_hh_l1", [4, 4]), ("bias_ih_l1", [4]), ("bias_hh_l1", [4]),
            ("weight_ih_l2", [4, 4]), ("weight_hh_l2", [4, 4]), ("bias_ih_l2", [4]), ("bias_hh_l2", [4]));
        // LSTM layout plus [H] peepholes per layer and direction (DESIGN.md §4)
        AssertParameters(new Recurrent(new RecurrentOptions(CellType.LstmPeephole, 2, 3, NumLayers: 1, Bidirectional: true)),
            ("weight_ih_l0", [12, 2]), ("weight_hh_l0", [12, 3]), ("bias_ih_l0", [12]), ("bias_hh_l0", [12]),
            ("peephole_i_l0", [3]), ("peephole_f_l0", [3]), ("peephole_o_l0", [3]),
            ("weight_ih_l0_reverse", [12, 2]), ("weight_hh_l0_reverse", [12, 3]), ("bias_ih_l0_reverse", [12]), ("bias_hh_l0_reverse", [12]),
            ("peephole_i_l0_reverse", [3]), ("peephole_f_l0_reverse", [3]), ("peephole_o_l0_reverse", [3]));
        // the coupled LSTM keeps the full 4H layout
        AssertParameters(new Recurrent(new RecurrentOptions(CellType.LstmCoupled, 2, 3)),
            ("weight_ih_l0", [12, 2]), ("weight_hh_l0", [12, 3]), ("bias_ih_l0", [12]), ("bias_hh_l0", [12]));
    }

    [Fact]
    public void Result_shapes_follow_pytorch()
    {
        var o = new RecurrentOptions(CellType.Lstm, 3, 5, NumLayers: 3, Bidirectional: true, ProjSize: 2);
        var c = RefCase.Create(o, 4, 2, seed: 1);
        var r = c.LayerForward();
        Assert.Equal([4, 2, 4], r.Output.Shape);
        Assert.Equal([6, 2, 2], r.HN.Shape);
        Assert.Equal([6, 2, 5], r.CN!.Shape);
        var g = c.LayerBackward();
        Assert.Equal([4, 2, 3], g.X.Shape);
        Assert.Equal([6, 2, 2], g.H0.Shape);
        Assert.Equal([6, 2, 5], g.C0!.Shape);
    }

    // ---------------------------------------------------------------- shape errors

    private const int ET = 5, EB = 2;

    private static Recurrent ErrLstm() => new(new RecurrentOptions(CellType.Lstm, 3, 4, NumLayers: 2, Bidirectional: true));
    private static Recurrent ErrGru() => new(new RecurrentOptions(CellType.Gru, 3, 4, NumLayers: 2));
    private static Tensor GoodX() => new(ET, EB, 3);

    private static Recurrent Forwarded(Recurrent layer)
    {
        layer.Forward(GoodX());
        return layer;
    }

    /// <summary>name → (action, regexes the message must match).</summary>
    private static readonly Dictionary<string, (Action Run, string[] MessageMust)> ErrorCases = new()
    {
        ["x rank 2"] = (() => ErrLstm().Forward(new Tensor(ET, 3)), [@"\bx\b", @"(?i)expected", @"\[5, 3\]"]),
        ["x rank 4"] = (() => ErrLstm().Forward(new Tensor(ET, EB, 3, 1)), [@"\bx\b", @"(?i)expected", @"\[5, 2, 3, 1\]"]),
        ["x width"] = (() => ErrLstm().Forward(new Tensor(ET, EB, 7)), [@"\bx\b", @"(?i)expected", @"\b3\b", @"\[5, 2, 7\]"]),
        ["x width batch-first"] = (() => ErrLstm().ForwardBatchFirst(new Tensor(EB, ET, 7)), [@"\bx\b", @"(?i)expected", @"7"]),
        ["x empty time"] = (() => ErrLstm().Forward(new Tensor(0, EB, 3)), [@"\bx\b", @"(?i)expected", @"\[0, 2, 3\]"]),
        ["h0 state count"] = (() => ErrLstm().Forward(GoodX(), new Tensor(2, EB, 4)), [@"\bh0\b", @"(?i)expected", @"\[4, 2, 4\]", @"\[2, 2, 4\]"]),
        ["h0 batch"] = (() => ErrLstm().Forward(GoodX(), new Tensor(4, 3, 4)), [@"\bh0\b", @"(?i)expected", @"\[4, 2, 4\]", @"\[4, 3, 4\]"]),
        ["h0 width"] = (() => ErrLstm().Forward(GoodX(), new Tensor(4, EB, 5)), [@"\bh0\b", @"(?i)expected", @"\[4, 2, 4\]", @"\[4, 2, 5\]"]),
        ["c0 shape"] = (() => ErrLstm().Forward(GoodX(), null, new Tensor(4, EB, 3)), [@"\bc0\b", @"(?i)expected", @"\[4, 2, 4\]", @"\[4, 2, 3\]"]),
        ["c0 rank"] = (() => ErrLstm().Forward(GoodX(), null, new Tensor(8, 4)), [@"\bc0\b", @"(?i)expected", @"\[8, 4\]"]),
        ["c0 for a GRU"] = (() => ErrGru().Forward(GoodX(), null, new Tensor(2, EB, 4)), [@"\bc0\b"]),
        ["lengths count"] = (() => ErrLstm().Forward(GoodX(), lengths: [5]), [@"\blengths\b", @"\b2\b", @"\b1\b"]),
        ["lengths zero"] = (() => ErrLstm().Forward(GoodX(), lengths: [5, 0]), [@"\blengths\b", @"\b0\b", @"\b5\b"]),
        ["lengths negative"] = (() => ErrLstm().Forward(GoodX(), lengths: [-1, 2]), [@"\blengths\b", @"-1"]),
        ["lengths beyond T"] = (() => ErrLstm().Forward(GoodX(), lengths: [6, 5]), [@"\blengths\b", @"\b6\b", @"\b5\b"]),
        ["gradOutput shape"] = (() => Forwarded(ErrLstm()).Backward(new Tensor(ET, EB, 4)), [@"(?i)output", @"(?i)expected", @"\[5, 2, 8\]", @"\[5, 2, 4\]"]),
        ["gradOutput steps"] = (() => Forwarded(ErrLstm()).Backward(new Tensor(ET - 1, EB, 8)), [@"(?i)output", @"(?i)expected", @"\[5, 2, 8\]", @"\[4, 2, 8\]"]),
        ["gradHN shape"] = (() => Forwarded(ErrLstm()).Backward(new Tensor(ET, EB, 8), new Tensor(4, EB, 5)), [@"(?i)h_?n", @"(?i)expected", @"\[4, 2, 4\]", @"\[4, 2, 5\]"]),
        ["gradCN shape"] = (() => Forwarded(ErrLstm()).Backward(new Tensor(ET, EB, 8), null, new Tensor(2, EB, 4)), [@"(?i)c_?n", @"(?i)expected", @"\[4, 2, 4\]", @"\[2, 2, 4\]"]),
        ["gradCN for a GRU"] = (() => Forwarded(ErrGru()).Backward(new Tensor(ET, EB, 4), null, new Tensor(2, EB, 4)), [@"(?i)c_?n"]),
        ["Backward before Forward"] = (() => ErrLstm().Backward(new Tensor(ET, EB, 8)), [@"(?i)forward"]),
        ["Step on a bidirectional layer"] = (StepOnBidirectional, [@"(?i)bidirectional|direction"]),
        ["Step x length"] = (() =>
        {
            var l = ErrGru();
            var s = l.CreateState(EB);
            l.Step(new float[EB * 3 + 1], s, new float[EB * 4]);
        }, [@"\bx\b", @"(?i)expected"]),
        ["Step output length"] = (() =>
        {
            var l = ErrGru();
            var s = l.CreateState(EB);
            l.Step(new float[EB * 3], s, new float[EB * 4 - 1]);
        }, [@"(?i)output", @"(?i)expected"]),
        ["CreateState h0 shape"] = (() => ErrGru().CreateState(EB, new Tensor(1, EB, 4)), [@"\bh0\b", @"(?i)expected", @"\[2, 2, 4\]", @"\[1, 2, 4\]"]),
        ["CreateState c0 for a GRU"] = (() => ErrGru().CreateState(EB, null, new Tensor(2, EB, 4)), [@"\bc0\b"]),
    };

    private static void StepOnBidirectional()
    {
        var layer = ErrLstm();
        var s = layer.CreateState(EB); // may throw already: that is fine too
        layer.Step(new float[EB * 3], s, new float[EB * 4]);
    }

    public static TheoryData<string> ErrorCaseNames()
    {
        var d = new TheoryData<string>();
        foreach (var k in ErrorCases.Keys) d.Add(k);
        return d;
    }

    [Theory]
    [MemberData(nameof(ErrorCaseNames))]
    public void Wrong_shapes_throw_clear_errors(string name)
    {
        var (run, must) = ErrorCases[name];
        var ex = Record.Exception(run);
        Assert.True(ex != null, $"{name}: no exception");
        Assert.True(ex is ArgumentException or InvalidOperationException,
            $"{name}: expected ArgumentException or InvalidOperationException, got {ex.GetType().Name}: {ex.Message}");
        Assert.False(ex is ArgumentNullException, $"{name}: ArgumentNullException is not a shape error: {ex.Message}");
        foreach (var pattern in must)
            Assert.True(Regex.IsMatch(ex.Message, pattern), $"{name}: message \"{ex.Message}\" does not match /{pattern}/");
    }

    [Fact]
    public void A_failed_forward_leaves_the_layer_usable()
    {
        var c = RefCase.Create(new RecurrentOptions(CellType.Lstm, 3, 4), 5, 2, seed: 3);
        var good = c.LayerForward();
        Assert.ThrowsAny<ArgumentException>(() => c.Layer.Forward(new Tensor(5, 2, 9)));
        var again = c.LayerForward();
        Compare.Close("output after a rejected call", good.Output.Span, again.Output.Span, 0);
        c.LayerBackward();
    }

    // ---------------------------------------------------------------- recorder

    private sealed class Recorder : IRecurrentRecorder
    {
        public readonly Dictionary<(int L, int D, int T), (float[] H, float[] C, float[] Gates)> Forwards = [];
        public readonly Dictionary<(int L, int D, int T), (double H, double C)> Backwards = [];
        public readonly List<string> Duplicates = [];
        private readonly Lock _lock = new();

        void IRecurrentRecorder.Forward(int layer, int direction, int t, ReadOnlySpan<float> h, ReadOnlySpan<float> c, ReadOnlySpan<float> gates)
        {
            var entry = (h.ToArray(), c.ToArray(), gates.ToArray());
            lock (_lock)
                if (!Forwards.TryAdd((layer, direction, t), entry)) Duplicates.Add($"forward ({layer},{direction},{t})");
        }

        void IRecurrentRecorder.Backward(int layer, int direction, int t, double gradHNorm, double gradCNorm)
        {
            lock (_lock)
                if (!Backwards.TryAdd((layer, direction, t), (gradHNorm, gradCNorm))) Duplicates.Add($"backward ({layer},{direction},{t})");
        }
    }

    public static TheoryData<CellType, int> RecorderCases()
    {
        var d = new TheoryData<CellType, int>();
        foreach (var c in Enum.GetValues<CellType>())
        {
            d.Add(c, 0);
            if (c.IsLstm()) d.Add(c, 3);
        }
        return d;
    }

    [Theory]
    [MemberData(nameof(RecorderCases))]
    public void Recorder_sees_every_step_with_the_reference_activations(CellType cell, int proj)
    {
        var o = new RecurrentOptions(cell, 3, 4, NumLayers: 2, Bidirectional: true, ProjSize: proj);
        var c = RefCase.Create(o, 5, 2, seed: 61 + (int)cell);
        var rec = new Recorder();
        c.Layer.Recorder = rec;
        var r = c.LayerForward();

        var refSteps = new Dictionary<(int, int, int), (double[] H, double[]? C, double[] Gates)>();
        c.ReferenceForward(c.ParamsDouble(), RefCase.ToDouble(c.X), RefCase.ToDouble(c.H0), c.C0 == null ? null : RefCase.ToDouble(c.C0),
            (l, d, t, h, cc, g) => refSteps[(l, d, t)] = ((double[])h.Clone(), (double[]?)cc?.Clone(), (double[])g.Clone()));

        Assert.Empty(rec.Duplicates);
        Assert.Equal(o.NumLayers * o.Directions * c.T, rec.Forwards.Count);
        int B = c.B, Ho = o.StateSize, H = o.HiddenSize, W = o.OutputSize, G = cell.Gates();
        foreach (var (key, want) in refSteps)
        {
            Assert.True(rec.Forwards.TryGetValue(key, out var got), $"no recorder call for (layer, direction, t) = {key}");
            Compare.Close($"{c}: recorded h at {key}", want.H, got.H, Tol);
            if (c.HasC) Compare.Close($"{c}: recorded c at {key}", want.C!, got.C, Tol);
            else Assert.True(got.C.Length == 0, $"{c}: recorded c at {key} should be empty, has {got.C.Length} values");
            Assert.True(got.Gates.Length == B * G * H, $"{c}: recorded gates at {key}: {got.Gates.Length} values, expected {B * G * H}");
            Compare.Close($"{c}: recorded gates at {key}", want.Gates, got.Gates, Tol);

            var (l, d, t) = key;
            if (l == o.NumLayers - 1)
            {
                // the last layer's h is exactly the output slice
                for (int b = 0; b < B; b++)
                    for (int j = 0; j < Ho; j++)
                        Assert.True(got.H[b * Ho + j] == r.Output.Span[(t * B + b) * W + d * Ho + j],
                            $"{c}: recorded h[{b},{j}] at {key} = {got.H[b * Ho + j]:R}, output has {r.Output.Span[(t * B + b) * W + d * Ho + j]:R}");
            }
        }

        // no recorder: same numbers
        c.Layer.Recorder = null;
        var plain = c.LayerForward();
        Compare.Close("output without a recorder", r.Output.Span, plain.Output.Span, 0);
    }

    [Theory]
    [MemberData(nameof(AllCells))]
    public void Recorder_gradient_norm_at_the_last_step_is_that_of_the_upstream_gradients(CellType cell)
    {
        var o = new RecurrentOptions(cell, 3, 4);
        var c = RefCase.Create(o, 5, 2, seed: 23);
        var rec = new Recorder();
        c.Layer.Recorder = rec;
        c.LayerForward();
        c.LayerBackward();

        Assert.Empty(rec.Duplicates);
        Assert.Equal(c.T, rec.Backwards.Count);
        for (int t = 0; t < c.T; t++) Assert.True(rec.Backwards.ContainsKey((0, 0, t)), $"no Backward recorder call at t={t}");

        // ∂L/∂h_{T−1} = gO[T−1] + gH (nothing flows back from later steps)
        int n = c.B * o.StateSize;
        double s = 0;
        for (int i = 0; i < n; i++)
        {
            double v = (double)c.GradOutput[(c.T - 1) * n + i] + c.GradHN[i];
            s += v * v;
        }
        var (hNorm, cNorm) = rec.Backwards[(0, 0, c.T - 1)];
        Assert.True(Math.Abs(hNorm - Math.Sqrt(s)) <= 1e-5 * Math.Sqrt(s), $"{cell}: ‖∂L/∂h_T−1‖ recorded {hNorm:R}, expected {Math.Sqrt(s):R}");
        foreach (var (key, v) in rec.Backwards)
        {
            Assert.True(double.IsFinite(v.H) && v.H > 0, $"{cell}: ‖∂L/∂h‖ at {key} = {v.H}");
            if (cell.IsLstm()) Assert.True(double.IsFinite(v.C) && v.C > 0, $"{cell}: ‖∂L/∂c‖ at {key} = {v.C}");
            else Assert.True(v.C == 0, $"{cell}: ‖∂L/∂c‖ at {key} = {v.C}, expected 0 without a cell state");
        }
    }

    [Theory]
    [InlineData(CellType.Lstm, 0)]
    [InlineData(CellType.Lstm, 3)]
    [InlineData(CellType.LstmPeephole, 0)]
    [InlineData(CellType.Gru, 0)]
    [InlineData(CellType.GruResetBefore, 0)]
    [InlineData(CellType.RnnTanh, 0)]
    public void Recorder_gradient_norms_equal_finite_differences_at_every_step(CellType cell, int proj)
    {
        // ∂L/∂h_t of each (layer, direction, t) as a node of the graph (from above and from t+1),
        // by perturbing h_t inside the float64 reference
        var o = new RecurrentOptions(cell, 3, 4, NumLayers: 2, Bidirectional: true, ProjSize: proj);
        var c = RefCase.Create(o, 5, 2, seed: 37 + (int)cell);
        var rec = new Recorder();
        c.Layer.Recorder = rec;
        c.LayerForward();
        c.LayerBackward();
        Assert.Empty(rec.Duplicates);
        Assert.Equal(o.NumLayers * o.Directions * c.T, rec.Backwards.Count);

        var p = c.ParamsDouble();
        var x = RefCase.ToDouble(c.X);
        var h0 = RefCase.ToDouble(c.H0);
        var c0 = c.C0 == null ? null : RefCase.ToDouble(c.C0);
        const double eps = 1e-6;
        int n = c.B * o.StateSize;
        for (int l = 0; l < o.NumLayers; l++)
            for (int d = 0; d < o.Directions; d++)
                for (int t = 0; t < c.T; t++)
                {
                    double sq = 0;
                    for (int i = 0; i < n; i++)
                    {
                        double Lp(double delta) => c.Loss(c.ReferenceForward(p, x, h0, c0, (ll, dd, tt, h, _, _) =>
                        {
                            if (ll == l && dd == d && tt == t) h[i] += delta;
                        }));
                        double g = (Lp(eps) - Lp(-eps)) / (2 * eps);
                        sq += g * g;
                    }
                    double want = Math.Sqrt(sq);
                    double got = rec.Backwards[(l, d, t)].H;
                    Assert.True(Math.Abs(got - want) <= 1e-4 * Math.Max(1, want),
                        $"{cell} P={proj}: ‖∂L/∂h‖ at (layer {l}, direction {d}, t {t}) recorded {got:R}, finite differences {want:R}");
                }
    }

    [Fact]
    public void Backward_without_the_input_gradient_gives_the_same_parameter_and_state_gradients()
    {
        var o = new RecurrentOptions(CellType.Lstm, 3, 5, NumLayers: 2, Bidirectional: true);
        var rnd = new Random(8);
        var x = new Tensor(4, 3, 3);
        foreach (ref float v in x.Span) v = (float)(rnd.NextDouble() * 2 - 1);
        var gOut = new Tensor(4, 3, o.OutputSize);
        foreach (ref float v in gOut.Span) v = (float)(rnd.NextDouble() * 2 - 1);

        var full = new Recurrent(o, seed: 2);
        full.Forward(x);
        var gFull = full.Backward(gOut);
        var dH0 = gFull.H0.Span.ToArray();
        var skip = new Recurrent(o, seed: 2);
        skip.Forward(x);
        var gSkip = skip.Backward(gOut, inputGradient: false);

        Assert.Contains(gFull.X.Span.ToArray(), v => v != 0);
        Assert.All(gSkip.X.Span.ToArray(), v => Assert.Equal(0f, v));
        Assert.Equal(dH0, gSkip.H0.Span.ToArray());
        foreach (var p in full.Parameters)
            Assert.Equal(p.Grad.Span.ToArray(), skip[p.Name].Grad.Span.ToArray());
    }
}
