using Recur.Cells;
using Recur.Kernels;

namespace Recur.Layers;

internal sealed partial class RecurrentDirection
{
    // Streaming scratch, separate from the sequence cache so Step never disturbs a pending Backward.
    private float[] _sGates = [], _sH = [], _sC = [], _sTanhC = [], _sM = [], _sAux = [];

    /// <summary>Set on the private copy inside a <see cref="FrozenSequential"/>, whose weights never change: its
    /// LSTM streaming steps then read an interleaved copy of W_ih and W_hh, made at the first step.</summary>
    internal bool Frozen { get; set; }
    private LstmStreamWeights? _streamWeights;
    private bool _frozenBiasFolded;   // a frozen layer's b_ih + b_hh, folded once instead of at every step

    // Frozen first layer of a token model: row v = b_ih + b_hh + W_ih·E[v] [V, 4H], and W_hh alone interleaved.
    private float[]? _tokenGates;
    private LstmStreamWeights? _recurrentWeights;

    /// <summary>
    /// For the frozen first layer of a token model: x is always a row of the embedding E <c>[V, I]</c>, so the input
    /// product of every token is computed here once (one GEMM) and a step reads one row of it and W_hh only: at
    /// batch 1 it reads 4H·(I + H) weights otherwise (W_ih·x is 20 % of the first layer for the T1 model).
    /// </summary>
    internal void FoldEmbedding(ReadOnlySpan<float> embedding, int vocab)
    {
        if (!Frozen || !_cell.IsLstm() || _proj > 0 || embedding.Length != vocab * _inputSize) return;
        int GH = _gates * _hidden;
        FoldBias();
        var table = new float[vocab * GH];
        Gemm.Sgemm(Op.None, Op.Transpose, vocab, GH, _inputSize, 1f, embedding, _inputSize, _wIh.Value.Span, _inputSize, 0f, table, GH);
        for (int v = 0; v < vocab; v++) Elementwise.Add(table.AsSpan(v * GH, GH), _bias.AsSpan(0, GH), table.AsSpan(v * GH, GH));
        _tokenGates = table;
        _recurrentWeights = new LstmStreamWeights([], _wHh.Value.Span, 0, _hidden);
    }

    /// <summary>b_ih + b_hh into the folded bias: at every streaming step, or once for a frozen layer.</summary>
    private void FoldStreamBias()
    {
        if (_frozenBiasFolded) return;
        FoldBias();
        _frozenBiasFolded = Frozen;
    }

    /// <summary>
    /// What a frozen LSTM layer's batch-1 step reads, for <see cref="FrozenStackStep"/>: the interleaved weights, the
    /// folded bias and, for a first layer with its embedding folded in, the token table. Null when this layer does not
    /// stream that way (not frozen, not an LSTM, or with a projection).
    /// </summary>
    internal FrozenLstmLayer? FrozenLayer()
    {
        if (!Frozen || !_cell.IsLstm() || _proj > 0) return null;
        int H = _hidden, GH = _gates * H;
        FoldStreamBias();
        if (_tokenGates is { } table && _recurrentWeights is { } recurrent)
            return new FrozenLstmLayer(_cell, 0, H, recurrent, [], table, Copy(_pI), Copy(_pF), Copy(_pO));
        _streamWeights ??= new LstmStreamWeights(_wIh.Value.Span, _wHh.Value.Span, _inputSize, H);
        return new FrozenLstmLayer(_cell, _inputSize, H, _streamWeights, _bias.AsSpan(0, GH).ToArray(), null, Copy(_pI), Copy(_pF), Copy(_pO));

        static float[] Copy(Parameter? p) => p is null ? [] : p.Value.Span.ToArray();
    }

    /// <summary>
    /// One streaming step: x <c>[B, I]</c>; h <c>[B, Hout]</c> and c <c>[B, H]</c> (LSTM) are read as the
    /// previous state and overwritten with the new one. Same arithmetic as the sequence sweep.
    /// </summary>
    /// <param name="token">The token whose embedding x is (−1: none); a frozen first layer then takes its input product
    /// from the table of <see cref="FoldEmbedding"/>.</param>
    public void StreamStep(ReadOnlySpan<float> x, int B, Span<float> h, Span<float> c, int token = -1)
    {
        int H = _hidden, Ho = _stateSize, GH = _gates * H, I = _inputSize;
        FoldStreamBias();
        PackForward(B);
        var gates = Grow(ref _sGates, B * GH).AsSpan(0, B * GH);
        var hNew = Grow(ref _sH, B * Ho).AsSpan(0, B * Ho);
        bool lstm = _cell.IsLstm();
        Span<float> tanhC = default, m = default, aux = default;
        if (lstm)
        {
            tanhC = Grow(ref _sTanhC, B * H).AsSpan(0, B * H);
            if (_proj > 0) m = Grow(ref _sM, B * H).AsSpan(0, B * H);
        }
        else if (_cell == CellType.Gru) aux = Grow(ref _sAux, B * GH).AsSpan(0, B * GH);
        else if (_cell == CellType.GruResetBefore) aux = Grow(ref _sAux, B * H).AsSpan(0, B * H);

        if (lstm && _proj == 0 && B <= Gemv.MaxRows)
        {
            // Tiny batch: products and cell update in one pass split by hidden units. c is updated in place: a
            // thread's units of c are read and written by that thread only, so c never crosses cores (a copy-back
            // by the caller moved each half to the other core and back at every step).
            if (B == 1 && token >= 0 && _tokenGates is { } table && _recurrentWeights is { } recurrent && (token + 1) * GH <= table.Length)
            {
                // a = (b + W_ih·E[token]) + W_hh·h: the input product from the table, the "bias" of a step with no input
                LstmStreamStep.Run(_cell, B, 0, H, [], h, c, [], _wHh.Value.Span, table.AsSpan(token * GH, GH),
                    Span(_pI), Span(_pF), Span(_pO), gates, c, tanhC, hNew, recurrent);
            }
            else
            {
                if (Frozen) _streamWeights ??= new LstmStreamWeights(_wIh.Value.Span, _wHh.Value.Span, I, H);
                LstmStreamStep.Run(_cell, B, I, H, x, h, c, _wIh.Value.Span, _wHh.Value.Span, _bias.AsSpan(0, GH),
                    Span(_pI), Span(_pF), Span(_pO), gates, c, tanhC, hNew, _streamWeights);
            }
            hNew.CopyTo(h);
            return;
        }
        var cNew = lstm ? Grow(ref _sC, B * H).AsSpan(0, B * H) : default;
        for (int b = 0; b < B; b++) _bias.AsSpan(0, GH).CopyTo(gates.Slice(b * GH, GH));
        MultiplyTransposed(B, GH, I, x, I, _wIh.Value.Span, I, 1f, gates, GH);
        StepForward(0, B, gates, h, h, hNew, c, cNew, tanhC, m, aux, default);
        hNew.CopyTo(h);
        if (lstm) cNew.CopyTo(c);
    }
}
