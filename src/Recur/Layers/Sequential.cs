using Recur.Cells;
using Recur.Tensors;
using Recur.Training;

namespace Recur.Layers;

/// <summary>
/// The shape of a <see cref="Sequential"/> model: [Embedding(V, E) | features] → Dropout → recurrent
/// stack (L layers, Dropout between) → Dropout → Dense(Hout, O).
/// <para><paramref name="VocabSize"/> &gt; 0 puts an embedding of <paramref name="InputSize"/> columns in front
/// (token input); 0 feeds <paramref name="InputSize"/> float features straight into the stack.</para>
/// <para><paramref name="SplitLayers"/> runs the stack as L one-layer <see cref="Recurrent"/> objects, which
/// gives access to every layer's input and output (dropout between layers, the Pascanu penalty); it is
/// implied by dropout with more than one layer. Parameter names do not change.</para>
/// <para><paramref name="InputDropout"/> = false keeps dropout off the stack's input (a forecaster's few input
/// columns), dropout stays between layers and before the head.</para>
/// </summary>
public sealed record SequentialOptions(
    CellType Cell,
    int InputSize,
    int HiddenSize,
    int NumLayers,
    int OutputSize,
    int VocabSize = 0,
    int ProjSize = 0,
    float Dropout = 0f,
    bool VariationalDropout = false,
    bool SplitLayers = false,
    float RecurrentDropout = 0f,
    bool InputDropout = true)
{
    public int StateSize => ProjSize > 0 ? ProjSize : HiddenSize;
    internal bool Split => SplitLayers || (Dropout > 0 && NumLayers > 1);

    public void Validate()
    {
        if (InputSize < 1) throw new ArgumentException($"input/embedding size must be positive, got {InputSize}");
        if (OutputSize < 1) throw new ArgumentException($"output size must be positive, got {OutputSize}");
        if (VocabSize < 0) throw new ArgumentException($"vocabulary size must be ≥ 0, got {VocabSize}");
        if (!(Dropout >= 0 && Dropout < 1)) throw new ArgumentException($"dropout must be in [0, 1), got {Dropout}");
        if (!(RecurrentDropout >= 0 && RecurrentDropout < 1)) throw new ArgumentException($"recurrent dropout must be in [0, 1), got {RecurrentDropout}");
        if (RecurrentDropout > 0) Layers.RecurrentDropout.EnsureSupported(Cell);
        new RecurrentOptions(Cell, InputSize, HiddenSize, NumLayers, false, ProjSize).Validate();
    }
}

/// <summary>The carried state of a <see cref="Sequential"/> model over B streams: per recurrent module, h and c.</summary>
public sealed class SequentialState
{
    internal SequentialState(Tensor[] h, Tensor?[] c, int batch)
    {
        H = h;
        C = c;
        Batch = batch;
    }

    /// <summary>Per module: h <c>[layers, B, Hout]</c>.</summary>
    public Tensor[] H { get; }
    /// <summary>Per module: c <c>[layers, B, H]</c> (LSTM) or null.</summary>
    public Tensor?[] C { get; }
    public int Batch { get; }

    public void Reset()
    {
        foreach (var h in H) h.Clear();
        foreach (var c in C) c?.Clear();
    }

    /// <summary>All state tensors in a fixed order (h then c per module), for checkpoints.</summary>
    public IEnumerable<(string Name, Tensor Value)> Named()
    {
        for (int k = 0; k < H.Length; k++)
        {
            yield return ($"h{k}", H[k]);
            if (C[k] is { } c) yield return ($"c{k}", c);
        }
    }
}

/// <summary>Adds a penalty's gradient for one recurrent module during <see cref="Sequential.Backward"/>
/// (e.g. <see cref="PascanuRegularizer"/>), given what that module saw and the gradient reaching its output.</summary>
public interface IRecurrentPenalty
{
    /// <summary><paramref name="h0"/> <c>[1, B, H]</c> the module's initial state, <paramref name="output"/>
    /// <c>[T, B, H]</c>, <paramref name="gradOutput"/> <c>[T, B, H]</c> = ∂L/∂output from above. Returns the penalty's value.</summary>
    double Apply(int module, Recurrent rnn, ReadOnlySpan<float> h0, ReadOnlySpan<float> output, ReadOnlySpan<float> gradOutput, int T, int B);
}

/// <summary>
/// A model that chains Embedding | features → Dropout → Recurrent → Dropout → Dense, with an explicit
/// <see cref="Forward(ReadOnlySpan{int}, int, int, SequentialState?, bool, Rng?)"/> /
/// <see cref="Backward"/> pair (time-major, T·B rows). Buffers are reused across calls of the same T and B.
/// Parameter names follow DESIGN.md §5: <c>embedding.weight</c>, <c>rnn.weight_ih_l0</c> …, <c>head.weight</c>, <c>head.bias</c>.
/// </summary>
public sealed class Sequential
{
    private readonly List<(string Name, Parameter Parameter)> _named = [];
    private readonly Dictionary<string, Parameter> _byName = new(StringComparer.Ordinal);
    private readonly Dropout? _inputDropout, _outputDropout;
    private RecurrentDropout? _recurrentDropout;   // variational dropout on h₋ inside each recurrent module (training only)
    private readonly Dropout?[] _betweenDropout;

    // Forward cache, exact-size arrays (wrapped as tensors for the recurrent layer).
    private int _t, _b;
    private int[] _tokens = [];
    private float[] _x = [];             // [T, B, I] input to the stack (after the embedding, or a copy of the features)
    private float[][] _moduleIn = [];    // [module] → [T, B, ·] after dropout
    private float[][] _h0 = [];          // [module] → h0 copy (for penalties)
    private float[] _headIn = [];        // [T·B, Hout]: the head's input when output dropout applies
    private float[] _headInput = [];     // what the head saw in the last Forward: _headIn, or the top module's output
    private bool _lastOnly;              // the last Forward ran the head on the last step only (ForwardLast)
    private float[] _logits = [];        // [T·B, O]
    private float[] _dHeadIn = [];
    private Tensor[] _moduleOut = [];

    public SequentialOptions Options { get; }
    public Embedding? Embedding { get; }
    /// <summary>One recurrent stack, or one module per layer when the options split it.</summary>
    public IReadOnlyList<Recurrent> Rnn { get; }
    public Dense Head { get; }

    public Sequential(SequentialOptions options, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        if (options.VocabSize > 0)
        {
            Embedding = new Embedding(options.VocabSize, options.InputSize, rng);
            Add(Embedding.Weight.Name, Embedding.Weight);
        }
        var rnn = new List<Recurrent>();
        int seed() => (int)(rng.NextUInt64() >> 33);
        if (options.Split)
        {
            for (int l = 0; l < options.NumLayers; l++)
            {
                int input = l == 0 ? options.InputSize : options.StateSize;
                var r = new Recurrent(new RecurrentOptions(options.Cell, input, options.HiddenSize, 1, false, options.ProjSize), seed());
                rnn.Add(r);
                foreach (var p in r.Parameters) Add("rnn." + p.Name.Replace("_l0", "_l" + l, StringComparison.Ordinal), p);
            }
        }
        else
        {
            var r = new Recurrent(new RecurrentOptions(options.Cell, options.InputSize, options.HiddenSize, options.NumLayers, false, options.ProjSize), seed());
            rnn.Add(r);
            foreach (var p in r.Parameters) Add("rnn." + p.Name, p);
        }
        Rnn = rnn;
        Head = new Dense(options.StateSize, options.OutputSize, rng);
        Add(Head.Weight.Name, Head.Weight);
        Add(Head.Bias.Name, Head.Bias);

        if (options.Dropout > 0)
        {
            _inputDropout = options.InputDropout ? new Dropout(options.Dropout, options.VariationalDropout) : null;
            _outputDropout = new Dropout(options.Dropout, options.VariationalDropout);
        }
        _betweenDropout = new Dropout?[rnn.Count];
        for (int k = 1; k < rnn.Count; k++)
            if (options.Dropout > 0) _betweenDropout[k] = new Dropout(options.Dropout, options.VariationalDropout);
    }

    private void Add(string name, Parameter p)
    {
        _named.Add((name, p));
        _byName.Add(name, p);
    }

    /// <summary>Every parameter with its model-file name, in file order.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> NamedParameters => _named;

    public IEnumerable<Parameter> Parameters => _named.Select(n => n.Parameter);

    public Parameter this[string name] =>
        _byName.TryGetValue(name, out var p) ? p : throw new KeyNotFoundException($"no parameter '{name}' in this model");

    public bool TryGetParameter(string name, out Parameter p) => _byName.TryGetValue(name, out p!);

    public long ParameterCount => _named.Sum(n => (long)n.Parameter.Value.Length);

    /// <summary>The output of the last Forward, <c>[T·B, O]</c> (<c>[B, O]</c> after <see cref="ForwardLast"/>).</summary>
    public Span<float> Logits => _logits.AsSpan(0, (_lastOnly ? 1 : _t) * _b * Options.OutputSize);

    public void ZeroGrad()
    {
        foreach (var (_, p) in _named) p.ZeroGrad();
    }

    /// <summary>A zero state for <paramref name="batch"/> streams.</summary>
    public SequentialState CreateState(int batch)
    {
        var o = Options;
        var h = new Tensor[Rnn.Count];
        var c = new Tensor?[Rnn.Count];
        for (int k = 0; k < Rnn.Count; k++)
        {
            int layers = Rnn[k].Options.NumLayers;
            h[k] = new Tensor(layers, batch, o.StateSize);
            c[k] = o.Cell.IsLstm() ? new Tensor(layers, batch, o.HiddenSize) : null;
        }
        return new SequentialState(h, c, batch);
    }

    /// <summary>Token input: ids <c>[T, B]</c> time-major → logits <c>[T·B, O]</c> (a view of an internal buffer,
    /// valid until the next Forward). With <paramref name="state"/> the sequence starts from it and the final
    /// state is written back into it (carried, detached: Backward never reaches the previous call).</summary>
    public Span<float> Forward(ReadOnlySpan<int> tokens, int T, int B, SequentialState? state = null, bool training = false, Rng? rng = null)
    {
        if (Embedding is null) throw new InvalidOperationException("this model takes float features, not tokens");
        if (tokens.Length != T * B) throw new ArgumentException($"tokens: expected T·B = {T * B} ids, got {tokens.Length}");
        Prepare(T, B);
        if (_tokens.Length != T * B) _tokens = new int[T * B];
        tokens.CopyTo(_tokens);
        Embedding.Forward(tokens, _x);
        return ForwardStack(T, B, state, training, rng);
    }

    /// <summary>Feature input: x <c>[T, B, InputSize]</c> → outputs <c>[T·B, O]</c>.</summary>
    public Span<float> Forward(ReadOnlySpan<float> x, int T, int B, SequentialState? state = null, bool training = false, Rng? rng = null)
    {
        if (Embedding is not null) throw new InvalidOperationException("this model takes token ids, not float features");
        if (x.Length != T * B * Options.InputSize) throw new ArgumentException($"x: expected [{T}, {B}, {Options.InputSize}], got {x.Length} values");
        Prepare(T, B);
        x.CopyTo(_x);
        return ForwardStack(T, B, state, training, rng);
    }

    /// <summary>
    /// Feature input, many-to-one: x <c>[T, B, InputSize]</c> → the head's outputs at the last step only, <c>[B, O]</c>
    /// (a forecaster or a sequence classifier: the same numbers as the last step of <see cref="Forward(ReadOnlySpan{float}, int, int, SequentialState?, bool, Rng?)"/>
    /// at inference, without the head and output dropout on the other T − 1 steps). Pair with <see cref="BackwardLast"/>.
    /// </summary>
    public Span<float> ForwardLast(ReadOnlySpan<float> x, int T, int B, SequentialState? state = null, bool training = false, Rng? rng = null)
    {
        if (Embedding is not null) throw new InvalidOperationException("this model takes token ids, not float features");
        if (x.Length != T * B * Options.InputSize) throw new ArgumentException($"x: expected [{T}, {B}, {Options.InputSize}], got {x.Length} values");
        Prepare(T, B);
        x.CopyTo(_x);
        RunStack(T, B, state, training, rng);
        // rows of step T−1 of the top module's output [T, B, Hout] → head
        int hout = Options.StateSize;
        var lastStep = _moduleOut[^1].Data.AsSpan((T - 1) * B * hout, B * hout);
        if (_outputDropout is not null) _outputDropout.Forward(lastStep, _headIn.AsSpan(0, B * hout), 1, B, hout, training, rng!);
        else lastStep.CopyTo(_headIn);
        _headInput = _headIn;
        Head.Forward(_headInput.AsSpan(0, B * hout), B, _logits);
        _lastOnly = true;
        return Logits;
    }

    private void Prepare(int T, int B)
    {
        if (T < 1 || B < 1) throw new ArgumentException($"T and B must be ≥ 1, got T={T}, B={B}");
        var o = Options;
        int n = Rnn.Count;
        if (T == _t && B == _b && _moduleIn.Length == n) return;
        _t = T;
        _b = B;
        _x = new float[T * B * o.InputSize];
        _moduleIn = new float[n][];
        for (int k = 0; k < n; k++)
        {
            int width = k == 0 ? o.InputSize : o.StateSize;
            _moduleIn[k] = k == 0 && _inputDropout is null ? _x : new float[T * B * width];
        }
        _h0 = new float[n][];
        _moduleOut = new Tensor[n];
        _headIn = new float[(_outputDropout is null ? B : T * B) * o.StateSize];   // all steps, or the last (ForwardLast)
        _dHeadIn = new float[T * B * o.StateSize];
        _logits = new float[T * B * o.OutputSize];
    }

    private Span<float> ForwardStack(int T, int B, SequentialState? state, bool training, Rng? rng)
    {
        RunStack(T, B, state, training, rng);
        var o = Options;
        var last = _moduleOut[^1].Data;
        // Without output dropout the head reads the top module's output in place (kept until its next Forward).
        if (_outputDropout is not null) _outputDropout.Forward(last, _headIn, T, B, o.StateSize, training, rng!);
        _headInput = _outputDropout is not null ? _headIn : last;
        Head.Forward(_headInput, T * B, _logits);
        _lastOnly = false;
        return Logits;
    }

    /// <summary>Input dropout and the recurrent modules (dropout between them): fills <c>_moduleOut</c>.</summary>
    private void RunStack(int T, int B, SequentialState? state, bool training, Rng? rng)
    {
        var o = Options;
        bool recurrentDropout = training && o.RecurrentDropout > 0;
        if (training && (o.Dropout > 0 || recurrentDropout) && rng is null) throw new ArgumentException("training with dropout needs a random generator");
        if (recurrentDropout && _recurrentDropout?.Rng != rng) _recurrentDropout = new RecurrentDropout(o.RecurrentDropout, rng!);
        if (state is not null && state.Batch != B) throw new ArgumentException($"state is for {state.Batch} streams, the batch has {B}");
        _inputDropout?.Forward(_x, _moduleIn[0], T, B, o.InputSize, training, rng!);
        for (int k = 0; k < Rnn.Count; k++)
        {
            var r = Rnn[k];
            int width = k == 0 ? o.InputSize : o.StateSize;
            if (k > 0)
            {
                var prev = _moduleOut[k - 1].Data;
                if (_betweenDropout[k] is { } d) d.Forward(prev, _moduleIn[k], T, B, width, training, rng!);
                else prev.CopyTo(_moduleIn[k], 0);
            }
            var x = new Tensor(_moduleIn[k], T, B, width);
            var h0 = state?.H[k];
            var c0 = state?.C[k];
            if (h0 is not null) { if (_h0[k]?.Length != h0.Length) _h0[k] = new float[h0.Length]; h0.Span.CopyTo(_h0[k]); }
            else _h0[k] = [];
            r.RecurrentDropout = recurrentDropout ? _recurrentDropout : null;
            var res = r.Forward(x, h0, c0);
            _moduleOut[k] = res.Output;
            if (state is not null)
            {
                res.HN.Span.CopyTo(state.H[k].Span);
                if (res.CN is not null) res.CN.Span.CopyTo(state.C[k]!.Span);
            }
        }
    }

    /// <summary>Backward through the last Forward given ∂L/∂logits <c>[T·B, O]</c>: accumulates every parameter's
    /// gradient. <paramref name="penalty"/> (optional) adds a penalty's gradient per recurrent module and its value is returned.</summary>
    public double Backward(ReadOnlySpan<float> gradLogits, IRecurrentPenalty? penalty = null)
    {
        var o = Options;
        int T = _t, B = _b;
        if (T == 0) throw new InvalidOperationException("Backward called before Forward");
        if (_lastOnly) throw new InvalidOperationException("the last forward pass was ForwardLast: call BackwardLast");
        if (gradLogits.Length != T * B * o.OutputSize) throw new ArgumentException($"gradLogits: expected {T * B * o.OutputSize} values, got {gradLogits.Length}");
        Head.Backward(_headInput, gradLogits, T * B, _dHeadIn);
        _outputDropout?.Backward(_dHeadIn, _dHeadIn);
        return BackwardStack(T, B, penalty);
    }

    /// <summary>Backward through the last <see cref="ForwardLast"/> given ∂L/∂outputs at the last step <c>[B, O]</c>
    /// (the earlier steps' outputs were not computed: their gradient is zero). Accumulates every parameter's gradient.</summary>
    public double BackwardLast(ReadOnlySpan<float> gradLast, IRecurrentPenalty? penalty = null)
    {
        var o = Options;
        int T = _t, B = _b, hout = o.StateSize;
        if (T == 0) throw new InvalidOperationException("BackwardLast called before ForwardLast");
        if (!_lastOnly) throw new InvalidOperationException("the last forward pass was Forward: call Backward");
        if (gradLast.Length != B * o.OutputSize) throw new ArgumentException($"gradLast: expected [{B}, {o.OutputSize}] values, got {gradLast.Length}");
        // ∂L/∂(top output) [T, B, Hout]: zero but at step T−1
        _dHeadIn.AsSpan(0, (T - 1) * B * hout).Clear();
        var dLast = _dHeadIn.AsSpan((T - 1) * B * hout, B * hout);
        Head.Backward(_headInput.AsSpan(0, B * hout), gradLast, B, dLast);
        _outputDropout?.Backward(dLast, dLast);
        return BackwardStack(T, B, penalty);
    }

    /// <summary>The recurrent modules in reverse (dropout between them), input dropout and the embedding, from
    /// ∂L/∂(top output) in <c>_dHeadIn</c>.</summary>
    private double BackwardStack(int T, int B, IRecurrentPenalty? penalty)
    {
        var o = Options;
        double pen = 0;
        float[] dOut = _dHeadIn;
        for (int k = Rnn.Count - 1; k >= 0; k--)
        {
            var r = Rnn[k];
            if (penalty is not null)
            {
                int sz = o.StateSize;
                ReadOnlySpan<float> h0 = _h0[k].Length > 0 ? _h0[k].AsSpan(0, B * sz) : new float[B * sz];
                pen += penalty.Apply(k, r, h0, _moduleOut[k].Data, dOut, T, B);
            }
            // The first module's ∂L/∂x is needed only to train an embedding; features are data.
            var g = r.Backward(new Tensor(dOut, T, B, o.StateSize), inputGradient: k > 0 || Embedding is not null);
            dOut = g.X.Data;
            if (k > 0) _betweenDropout[k]?.Backward(dOut, dOut);
        }
        _inputDropout?.Backward(dOut, dOut);
        Embedding?.Backward(_tokens, dOut);
        return pen;
    }

    /// <summary>Zero streaming states for generation (one per module), batch <paramref name="batch"/>.</summary>
    public RecurrentState[] CreateStreamState(int batch = 1) => Rnn.Select(r => r.CreateState(batch)).ToArray();

    /// <summary>One time step for one stream of tokens (generation, inference): id → logits <c>[O]</c>.</summary>
    public void Step(int token, RecurrentState[] state, Span<float> logits, ScratchBuffer scratch)
    {
        if (Embedding is null) throw new InvalidOperationException("this model takes float features, not tokens");
        var o = Options;
        if ((uint)token >= (uint)Embedding.VocabSize) throw new ArgumentOutOfRangeException(nameof(token), $"token id {token} outside [0, {Embedding.VocabSize})");
        var buf = scratch.Get(o.InputSize + 2 * o.StateSize);
        var x = buf[..o.InputSize];
        Embedding.Weight.Value.Span.Slice(token * o.InputSize, o.InputSize).CopyTo(x);
        Span<float> input = x;
        var a = buf.Slice(o.InputSize, o.StateSize);
        var b = buf.Slice(o.InputSize + o.StateSize, o.StateSize);
        for (int k = 0; k < Rnn.Count; k++)
        {
            var y = (k & 1) == 0 ? a : b;
            Rnn[k].Step(input, state[k], y, k == 0 ? token : -1);   // the token: a frozen first layer folds its embedding
            input = y;
        }
        Head.Forward(input, 1, logits);
    }
}
