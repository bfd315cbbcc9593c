using Recur.Cells;
using Recur.Kernels;
using Recur.Tensors;

namespace Recur.Layers;

internal sealed partial class RecurrentDirection
{
    /// <summary>
    /// Forward sweep over <paramref name="input"/> <c>[T, B, I]</c>; writes h_t into columns
    /// [col, col+Hout) of <paramref name="output"/> <c>[T, B, width]</c> (zeros past a sequence's length)
    /// and the final states into state slot <paramref name="s"/> of <paramref name="hN"/>, <paramref name="cN"/>.
    /// </summary>
    public void Forward(float[] input, int T, int B, float[] output, int width, int col,
        Tensor? h0, Tensor? c0, Tensor hN, Tensor? cN, int s, int[]? lengths, IRecurrentRecorder? recorder)
    {
        _t = T;
        _b = B;
        _lengths = lengths ?? [];
        EnsureForwardBuffers(T, B);
        FoldBias();
        PackForward(B);
        int H = _hidden, Ho = _stateSize, GH = _gates * H, I = _inputSize;
        bool lstm = _cell.IsLstm();

        // Initial state into its slot: hs[0] (forward) or hs[T] (reverse).
        int start = Reverse ? T : 0;
        CopyStateIn(h0, s, B * Ho, _hs.AsSpan(start * B * Ho, B * Ho));
        if (lstm) CopyStateIn(c0, s, B * H, _cs.AsSpan(start * B * H, B * H));

        // Xp[T·B, G·H] = X[T·B, I] · W_ihᵀ: one GEMM for all steps. The bias is added step by step in the sweep
        // (on the threads of its row groups), not filled in here first by this thread alone.
        var xp = _gateActs.AsSpan(0, T * B * GH);
        Gemm.Sgemm(Op.None, Op.Transpose, T * B, GH, I, 1f, input.AsSpan(0, T * B * I), I, _wIh.Value.Span, I, 0f, xp, GH);

        _forwardGroups = GradientGroups(B, splittable: recorder is null);
        if (_forwardGroups > 0) Grow(ref _groupInputs, T * B * (I + Ho));
        RunRowGroups(B, splittable: recorder is null,
            (b0, b1) => SweepForward(T, B, b0, b1, _forwardGroups > 0 ? input : null, output, width, col, recorder));

        int final = Reverse ? 0 : T;
        _hs.AsSpan(final * B * Ho, B * Ho).CopyTo(hN.Span.Slice(s * B * Ho, B * Ho));
        if (lstm) _cs.AsSpan(final * B * H, B * H).CopyTo(cN!.Span.Slice(s * B * H, B * H));
    }

    /// <summary>
    /// The forward steps for batch rows [<paramref name="b0"/>, <paramref name="b1"/>): rows never interact
    /// within a sweep, so row groups can run on different threads with no hand-off between steps.
    /// </summary>
    /// <param name="input">X <c>[T, B, I]</c> when the group keeps its rows of [x_t | h₋] for its weight gradients, else null.</param>
    private void SweepForward(int T, int B, int b0, int b1, float[]? input, float[] output, int width, int col, IRecurrentRecorder? recorder)
    {
        int H = _hidden, Ho = _stateSize, GH = _gates * H, nb = b1 - b0;
        bool lstm = _cell.IsLstm();
        ReadOnlySpan<int> len = _lengths.Length == 0 ? default : _lengths.AsSpan(b0, nb);
        for (int step = 0; step < T; step++)
        {
            int t = Reverse ? T - 1 - step : step;
            // Rows b0..b1 of step t: one contiguous block of every [T(+1), B, X] buffer.
            var hPrev = _hs.AsSpan((PrevIndex(t) * B + b0) * Ho, nb * Ho);
            var hCur = _hs.AsSpan((CurIndex(t) * B + b0) * Ho, nb * Ho);
            var gates = _gateActs.AsSpan((t * B + b0) * GH, nb * GH);
            Elementwise.AddRowVector(gates, _bias.AsSpan(0, GH));   // Xp_t + bias
            ReadOnlySpan<float> hRec = hPrev;
            if (_dropActive)
            {
                // m ⊙ h₋ [rows, Hout], kept for dW_hh
                var dropped = _hDropped.AsSpan((t * B + b0) * Ho, nb * Ho);
                Elementwise.Multiply(hPrev, _dropMask.AsSpan(b0 * Ho, nb * Ho), dropped);
                hRec = dropped;
            }
            if (input is not null) KeepGroupInputs(T, B, b0, nb, t, input, hRec);
            StepForward(t, nb, gates, hPrev, hRec, hCur,
                lstm ? _cs.AsSpan((PrevIndex(t) * B + b0) * H, nb * H) : default,
                lstm ? _cs.AsSpan((CurIndex(t) * B + b0) * H, nb * H) : default,
                lstm ? _tanhC.AsSpan((t * B + b0) * H, nb * H) : default,
                _proj > 0 ? _ms.AsSpan((t * B + b0) * H, nb * H) : default,
                AuxStep(t, B, b0, nb), len, keepGateActivations: recorder is not null);

            // output[t, b, col..col+Ho) = h_t, or 0 past the sequence's length
            var outStep = output.AsSpan((t * B + b0) * width, nb * width);
            for (int b = 0; b < nb; b++)
            {
                var dst = outStep.Slice(b * width + col, Ho);
                if (!len.IsEmpty && t >= len[b]) dst.Clear(); else hCur.Slice(b * Ho, Ho).CopyTo(dst);
            }
            recorder?.Forward(_layer, _direction, t, hCur, lstm ? _cs.AsSpan((CurIndex(t) * B + b0) * H, nb * H) : default, gates);
        }
    }

    private Span<float> AuxStep(int t, int B, int b0, int rows) => _cell switch
    {
        CellType.Gru => _aux.AsSpan((t * B + b0) * 3 * _hidden, rows * 3 * _hidden),
        CellType.GruResetBefore => _aux.AsSpan((t * B + b0) * _hidden, rows * _hidden),
        _ => default,
    };

    private static void CopyStateIn(Tensor? all, int s, int size, Span<float> dst)
    {
        if (all is null) dst.Clear();
        else all.Span.Slice(s * size, size).CopyTo(dst);
    }

    /// <summary>
    /// One recurrent step for a batch: <paramref name="gates"/> [B, G·H] holds the input projection
    /// (bias included) on entry and the gate activations on exit; h_t goes to <paramref name="hCur"/>.
    /// Shared by the sequence sweep and the streaming API. <paramref name="hRec"/> is what the recurrent
    /// products see: h₋ itself, or m ⊙ h₋ under recurrent dropout. An RNN's <paramref name="gates"/> hold its
    /// activations on exit only with <paramref name="keepGateActivations"/> (a recorder; backward reads h_t).
    /// </summary>
    internal void StepForward(int t, int B, Span<float> gates, ReadOnlySpan<float> hPrev, ReadOnlySpan<float> hRec, Span<float> hCur,
        ReadOnlySpan<float> cPrev, Span<float> c, Span<float> tanhC, Span<float> m, Span<float> aux, ReadOnlySpan<int> len,
        bool keepGateActivations = true)
    {
        int H = _hidden, Ho = _stateSize, GH = _gates * H;
        var wHh = _wHh.Value.Span;
        switch (_cell)
        {
            case CellType.Lstm or CellType.LstmPeephole or CellType.LstmCoupled:
            {
                // a = Xp_t + h₋ W_hhᵀ
                ProductT(B, GH, Ho, hRec, Ho, _packedHhT, wHh, Ho, 1f, gates, GH);
                var mOut = _proj > 0 ? m : hCur;
                LstmKernelsParallel.Forward(_cell, B, H, gates, cPrev, c, tanhC, mOut,
                    _pI is null ? default : _pI.Value.Span, _pF is null ? default : _pF.Value.Span,
                    _pO is null ? default : _pO.Value.Span, t, len);
                if (_proj > 0)
                    ProductT(B, Ho, H, m, H, _packedHrT, _wHr!.Value.Span, H, 0f, hCur, Ho);
                KeepStateOfFinishedRows(t, B, Ho, hPrev, hCur, len);
                break;
            }
            case CellType.Gru:
            {
                // aux = h₋ W_hhᵀ + b_hh  [B, 3H]
                var bHh = _bHh.Value.Span;
                for (int b = 0; b < B; b++) bHh.CopyTo(aux.Slice(b * GH, GH));
                ProductT(B, GH, H, hRec, H, _packedHhT, wHh, H, 1f, aux, GH);
                GruKernels.ForwardResetAfter(B, H, gates, aux, hPrev, hCur, t, len);
                break;
            }
            case CellType.GruResetBefore:
            {
                // [a_r | a_z] += h₋ W_{hr,hz}ᵀ ; then a_n += (r⊙h₋) W_hnᵀ
                ProductT(B, 2 * H, H, hPrev, H, _packedHhT, wHh, H, 1f, gates, GH);
                GruKernels.ForwardResetBeforeGates(B, H, gates, hPrev, aux);
                ProductT(B, H, H, aux, H, _packedHnT, wHh.Slice(2 * H * H), H, 1f, gates.Slice(2 * H), GH);
                GruKernels.ForwardResetBeforeOutput(B, H, gates, hPrev, hCur, t, len);
                break;
            }
            default:
            {
                ProductT(B, H, H, hRec, H, _packedHhT, wHh, H, 1f, gates, H);
                RnnKernels.Forward(_cell, B, H, gates, hPrev, hCur, t, len, keepGateActivations);
                break;
            }
        }
    }

    /// <summary>y[m, n] = x[m, k] · W[n, k]ᵀ + beta·y: dot products for tiny batches, a packed GEMM otherwise.</summary>
    private static void MultiplyTransposed(int m, int n, int k, ReadOnlySpan<float> x, int ldx,
        ReadOnlySpan<float> w, int ldw, float beta, Span<float> y, int ldy)
    {
        if (m <= Gemv.MaxRows) Gemv.MultiplyTransposed(m, n, k, x, ldx, w, ldw, beta, y, ldy);
        else Gemm.Sgemm(Op.None, Op.Transpose, m, n, k, 1f, x, ldx, w, ldw, beta, y, ldy);
    }

    private static void KeepStateOfFinishedRows(int t, int B, int width, ReadOnlySpan<float> prev, Span<float> cur, ReadOnlySpan<int> len)
    {
        if (len.IsEmpty) return;
        for (int b = 0; b < B; b++)
            if (t >= len[b]) prev.Slice(b * width, width).CopyTo(cur.Slice(b * width, width));
    }
}
