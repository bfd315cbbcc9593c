using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Recur.Cells;
using Recur.Kernels;

namespace Recur.Layers;

/// <summary>What one frozen LSTM layer's batch-1 step reads (<see cref="RecurrentDirection.FrozenLayer"/>).</summary>
/// <param name="InputSize">I; 0 for a first layer whose input product comes from <paramref name="TokenTable"/>.</param>
/// <param name="Bias">[4H] b_ih + b_hh (empty with a token table, whose rows include it).</param>
/// <param name="TokenTable">[V, 4H] row v = b_ih + b_hh + W_ih·E[v], or null.</param>
internal sealed record FrozenLstmLayer(CellType Cell, int InputSize, int Hidden, LstmStreamWeights Weights,
    float[] Bias, float[]? TokenTable, float[] PeepholeI, float[] PeepholeF, float[] PeepholeO);

/// <summary>
/// One batch-1 step of a frozen LSTM stack and its dense head (<see cref="FrozenSequential.Step"/>) as a single
/// parallel job: thread p owns units [j0, j1) of every layer and rows [v0, v1) of the head, and the threads meet
/// between levels at a barrier of one flag per (level, part). Per layer this replaces a thread-pool hand-off, the
/// caller's copy of the new h into the state (each half crossing to the other core and back) and, after the last
/// layer, the head on the caller alone. Cache lines crossing cores are what a generation step waits on besides the
/// weights: on this host the two vCPUs are at times on different core complexes, where a line's round trip between
/// them measured 330–350 ns instead of 65–90 ns (T1 model: 29–31k chars/s against 38–39k then).
/// Each (level, part) item is claimed once: a thread done with its own item runs any item not yet claimed, so a
/// late or busy core never stalls the step (with the pool taken, or one thread, the caller runs every item).
/// </summary>
internal sealed unsafe class FrozenStackStep : GemmThreadPool.IParts
{
    private const int FlagStride = 16;   // longs between two flags: each on its own pair of cache lines

    private readonly FrozenLstmLayer[] _layers;
    private readonly int[] _module, _layerInModule, _moduleLayers;
    // Scratch in pinned memory, each buffer on a 64-byte boundary: parts write disjoint units of these, and a cache line
    // that both cores write ping-pongs between them (a round trip each time).
    private readonly List<float[]> _pinned = [];
    private readonly float*[] _hNew, _gates, _tanhC;   // per layer: [H], [4H], [H]
    private readonly float*[][] _xh;                   // per layer and part: [x | h | 0] (Width, the tail zero)
    private readonly float[] _embedding, _headW, _headB;   // [V, E], [O, H_last], [O]
    private readonly int _embedSize, _vocab, _out, _parts;
    private readonly long[] _flags;
    private long _epoch;

    // The step being run (set by the caller before the parts start).
    private int _token;
    private RecurrentState[] _state = [];
    private float* _logits;
    private Exception? _error;

    private FrozenStackStep(FrozenLstmLayer[] layers, int[] module, int[] layerInModule, int[] moduleLayers,
        Embedding embedding, Dense head, int parts)
    {
        _layers = layers; _module = module; _layerInModule = layerInModule; _moduleLayers = moduleLayers;
        _embedding = embedding.Weight.Value.Span.ToArray();
        _embedSize = embedding.Dim;
        _vocab = embedding.VocabSize;
        _headW = head.Weight.Value.Span.ToArray();
        _headB = head.Bias.Value.Span.ToArray();
        _out = head.OutputSize;
        _parts = parts;
        int L = layers.Length;
        _hNew = new float*[L]; _gates = new float*[L]; _tanhC = new float*[L]; _xh = new float*[L][];
        for (int l = 0; l < L; l++)
        {
            int H = layers[l].Hidden;
            _hNew[l] = Aligned(H); _gates[l] = Aligned(4 * H); _tanhC[l] = Aligned(H);
            _xh[l] = new float*[parts];
            for (int p = 0; p < parts; p++) _xh[l][p] = Aligned(layers[l].Weights.Width);
        }
        _flags = new long[(L + 1) * parts * FlagStride];
    }

    /// <summary>A zeroed buffer of <paramref name="length"/> floats at a 64-byte boundary, pinned for this object's life.</summary>
    private float* Aligned(int length)
    {
        var array = GC.AllocateArray<float>(length + 16, pinned: true);
        _pinned.Add(array);
        float* p = (float*)Unsafe.AsPointer(ref array[0]);
        return p + (int)((64 - ((nint)p & 63)) & 63) / sizeof(float);
    }

    /// <summary>The stack step for <paramref name="model"/>'s frozen copy, or null when some module is not a
    /// unidirectional LSTM stack that streams from interleaved weights (the model then steps layer by layer).</summary>
    public static FrozenStackStep? TryCreate(Sequential model)
    {
        if (model.Embedding is not { } embedding) return null;
        var layers = new List<FrozenLstmLayer>();
        var module = new List<int>();
        var layerInModule = new List<int>();
        var moduleLayers = new int[model.Rnn.Count];
        for (int k = 0; k < model.Rnn.Count; k++)
        {
            if (model.Rnn[k].FrozenLayers() is not { } stack) return null;
            moduleLayers[k] = stack.Length;
            for (int l = 0; l < stack.Length; l++)
            {
                layers.Add(stack[l]);
                module.Add(k);
                layerInModule.Add(l);
            }
        }
        if (layers.Count == 0 || model.Head.InputSize != layers[^1].Hidden) return null;
        for (int l = 0; l < layers.Count; l++)
        {
            int expected = l == 0 ? (layers[0].TokenTable is null ? embedding.Dim : 0) : layers[l - 1].Hidden;
            if (layers[l].InputSize != expected) return null;
        }
        int parts = Math.Max(1, Math.Min(Gemm.Threads, layers.Min(x => x.Hidden) / 16));
        return new FrozenStackStep([.. layers], [.. module], [.. layerInModule], moduleLayers, embedding, model.Head, parts);
    }

    /// <summary>One step for <paramref name="token"/>: updates <paramref name="state"/> and writes
    /// <paramref name="logits"/> [O]. False, having done nothing, when the arguments are not what this step
    /// takes (the caller then steps the model, which reports what is wrong).</summary>
    public bool TryStep(int token, RecurrentState[] state, Span<float> logits)
    {
        if ((uint)token >= (uint)_vocab || logits.Length < _out || state.Length != _moduleLayers.Length) return false;
        for (int k = 0; k < state.Length; k++)
        {
            int H = _layers[Array.IndexOf(_module, k)].Hidden;
            if (state[k] is not { Batch: 1, C: { } c } s || s.H.Length != _moduleLayers[k] * H || c.Length != _moduleLayers[k] * H)
                return false;
        }
        _token = token;
        _state = state;
        _error = null;
        _epoch++;
        fixed (float* pl = logits)
        {
            _logits = pl;
            try
            {
                // Parts the pool does not take (workers busy, or fewer threads now) run here: RunPart(0) runs every item.
                if (_parts < 2 || Gemm.Threads < _parts || !GemmThreadPool.TryRunParts(this, _parts)) RunPart(0);
            }
            finally
            {
                _logits = null;
                _state = [];
            }
        }
        if (_error is { } e) ExceptionDispatchInfo.Capture(e).Throw();
        return true;
    }

    public void RunPart(int part)
    {
        long claimed = 2 * _epoch + 1, done = claimed + 1;
        for (int level = 0; level <= _layers.Length; level++)
        {
            TryRun(level, part, claimed, done);
            for (int q = 0; q < _parts; q++) TryRun(level, q, claimed, done);   // any item not yet claimed
            for (int q = 0; q < _parts; q++)
            {
                ref long flag = ref _flags[(level * _parts + q) * FlagStride];
                while (Volatile.Read(ref flag) != done) Thread.SpinWait(1);
            }
        }
    }

    /// <summary>Claims item (level, part) of this step and runs it; nothing if it is already claimed.</summary>
    private void TryRun(int level, int part, long claimed, long done)
    {
        ref long flag = ref _flags[(level * _parts + part) * FlagStride];
        long seen = Volatile.Read(ref flag);
        if (seen >= claimed || Interlocked.CompareExchange(ref flag, claimed, seen) != seen) return;
        try
        {
            if (level > 0) CopyToState(level - 1, part);
            if (level < _layers.Length) RunLayer(level, part);
            else RunHead(part);
        }
        catch (Exception e) { _error ??= e; }   // thrown by the caller once every item is done
        finally { Volatile.Write(ref flag, done); }
    }

    /// <summary>Units [j0, j1) of part p (multiples of 16: whole cache lines of h, c and each gate block).</summary>
    private int Bound(int size, int part) => part >= _parts ? size : (int)((long)size * part / _parts) & ~15;

    private Span<float> StateH(int l) => _state[_module[l]].H.Span.Slice(_layerInModule[l] * _layers[l].Hidden, _layers[l].Hidden);

    private Span<float> StateC(int l) => _state[_module[l]].C!.Span.Slice(_layerInModule[l] * _layers[l].Hidden, _layers[l].Hidden);

    /// <summary>Layer l's new h, units of part p, into the state: every item of layer l is done (they read the old h).</summary>
    private void CopyToState(int l, int part)
    {
        int H = _layers[l].Hidden, j0 = Bound(H, part), j1 = Bound(H, part + 1);
        if (j1 > j0) new ReadOnlySpan<float>(_hNew[l] + j0, j1 - j0).CopyTo(StateH(l).Slice(j0));
    }

    private void RunLayer(int l, int part)
    {
        var layer = _layers[l];
        int H = layer.Hidden, GH = 4 * H, j0 = Bound(H, part), j1 = Bound(H, part + 1);
        if (j1 <= j0) return;
        float* xh = _xh[l][part];
        if (l > 0) new ReadOnlySpan<float>(_hNew[l - 1], layer.InputSize).CopyTo(new Span<float>(xh, layer.InputSize));
        else if (layer.TokenTable is null) _embedding.AsSpan(_token * _embedSize, _embedSize).CopyTo(new Span<float>(xh, _embedSize));
        StateH(l).CopyTo(new Span<float>(xh + layer.InputSize, H));
        var bias = layer.TokenTable is { } table ? table.AsSpan(_token * GH, GH) : layer.Bias.AsSpan();
        fixed (float* pb = bias)
            layer.Weights.Gates(xh, pb, _gates[l], j0, j1);
        var c = StateC(l);   // in place: a part's units of c are read and written by that part only
        LstmKernels.ForwardUnits(layer.Cell, 1, H, j0, j1, new Span<float>(_gates[l], GH), c, c, new Span<float>(_tanhC[l], H),
            new Span<float>(_hNew[l], H), layer.PeepholeI, layer.PeepholeF, layer.PeepholeO, 0, default);
    }

    /// <summary>logits[v] = b[v] + W[v]·h for the head rows of part p.</summary>
    private void RunHead(int part)
    {
        int I = _layers[^1].Hidden, v0 = Bound(_out, part), v1 = Bound(_out, part + 1);
        var w = _headW.AsSpan();
        for (int v = v0; v < v1; v++) _logits[v] = _headB[v] + TensorPrimitives.Dot(w.Slice(v * I, I), new ReadOnlySpan<float>(_hNew[^1], I));
    }
}
