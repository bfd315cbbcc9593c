using Recur.Cells;
using Recur.Kernels;
using Recur.Tensors;

namespace Recur.Layers;

internal sealed partial class RecurrentDirection
{
    /// <summary>
    /// BPTT over the cached forward: reads ∂L/∂output from columns [col, col+Hout) of
    /// <paramref name="dOutput"/> <c>[T, B, width]</c> and ∂L/∂h_n, ∂L/∂c_n from slot <paramref name="s"/>;
    /// writes ∂L/∂h0, ∂L/∂c0 into slot s and accumulates every parameter gradient of this direction.
    /// The input gradient is left to <see cref="AccumulateInputGradient"/> (so two directions can
    /// run this concurrently and then add into one dX in turn).
    /// </summary>
    public void Backward(float[] input, float[] dOutput, int width, int col, Tensor? dHN, Tensor? dCN, int s,
        Tensor dH0, Tensor? dC0, IRecurrentRecorder? recorder)
    {
        int T = _t, B = _b, H = _hidden, Ho = _stateSize, GH = _gates * H, P = _proj;
        bool lstm = _cell.IsLstm();
        Grow(ref _dh, B * Ho);
        Grow(ref _dhNext, B * Ho);
        if (lstm) { Grow(ref _dc, B * H); Grow(ref _dm, B * H); }
        if (_cell == CellType.Gru) Grow(ref _dAux, T * B * GH);
        if (_cell == CellType.GruResetBefore) Grow(ref _dRh, B * H);
        if (_cell == CellType.Gru && _dropActive) Grow(ref _dhRec, B * H);
        if (P > 0) Grow(ref _dHs, T * B * P);
        PackBackward();

        CopyStateIn(dHN, s, B * Ho, _dhNext.AsSpan(0, B * Ho));
        if (lstm) CopyStateIn(dCN, s, B * H, _dc.AsSpan(0, B * H));
        // The peephole cell's gradients are sums over rows: its sweep stays in one piece.
        bool splittable = recorder is null && _cell != CellType.LstmPeephole;
        // Weight gradients by group when the forward kept the groups' inputs and the sweep splits the same way.
        int groups = _forwardGroups > 0 && GradientGroups(B, splittable) == _forwardGroups ? _forwardGroups : 0;
        _backwardGroups = groups;
        if (groups > 0)
        {
            Grow(ref _groupDA, T * B * GH);   // instead of _dA [T, B, G·H]
            Grow(ref _groupSums, groups * GroupSumsSize);
        }
        else Grow(ref _dA, T * B * GH);
        RunRowGroups(B, splittable, (b0, b1) =>
        {
            SweepBackward(T, B, b0, b1, dOutput, width, col, recorder, groupMajor: groups > 0);
            if (groups > 0) GroupWeightGradients(T, B, groups, b0, b1);
        });

        var dhNext = _dhNext.AsSpan(0, B * Ho);
        var dc = lstm ? _dc.AsSpan(0, B * H) : default;
        dhNext.CopyTo(dH0.Span.Slice(s * B * Ho, B * Ho));
        if (lstm) dc.CopyTo(dC0!.Span.Slice(s * B * H, B * H));
        if (groups > 0) AddGroupWeightGradients(groups);
        else AccumulateWeightGradients(input, T, B);
    }

    /// <summary>The reverse steps for batch rows [<paramref name="b0"/>, <paramref name="b1"/>) (see <see cref="SweepForward"/>).</summary>
    private void SweepBackward(int T, int B, int b0, int b1, float[] dOutput, int width, int col, IRecurrentRecorder? recorder,
        bool groupMajor)
    {
        int H = _hidden, Ho = _stateSize, GH = _gates * H, P = _proj, nb = b1 - b0;
        bool lstm = _cell.IsLstm();
        ReadOnlySpan<int> len = _lengths.Length == 0 ? default : _lengths.AsSpan(b0, nb);
        // Scratch rows b0..b1 ([B, X] buffers); dhNext and dc hold ∂L/∂h_n, ∂L/∂c_n on entry.
        var dh = _dh.AsSpan(b0 * Ho, nb * Ho);
        var dhNext = _dhNext.AsSpan(b0 * Ho, nb * Ho);
        var dc = lstm ? _dc.AsSpan(b0 * H, nb * H) : default;
        for (int step = 0; step < T; step++)
        {
            int t = Reverse ? step : T - 1 - step;
            // dh = ∂L/∂output_t (valid rows only: a padded output is a constant 0) + what flows back from t+1.
            var dOutStep = dOutput.AsSpan((t * B + b0) * width, nb * width);
            for (int b = 0; b < nb; b++)
            {
                var row = dh.Slice(b * Ho, Ho);
                dhNext.Slice(b * Ho, Ho).CopyTo(row);
                if (len.IsEmpty || t < len[b]) Elementwise.Add(row, dOutStep.Slice(b * width + col, Ho), row);
            }
            var gates = _gateActs.AsSpan((t * B + b0) * GH, nb * GH);
            // dA rows of this step: in the group's block when the weight and input gradients are computed by group
            var dA = groupMajor ? _groupDA.AsSpan((b0 * T + t * nb) * GH, nb * GH) : _dA.AsSpan((t * B + b0) * GH, nb * GH);
            var hPrev = _hs.AsSpan((PrevIndex(t) * B + b0) * Ho, nb * Ho);

            switch (_cell)
            {
                case CellType.Lstm or CellType.LstmPeephole or CellType.LstmCoupled:
                {
                    var dm = _dm.AsSpan(b0 * H, nb * H);
                    if (P > 0)
                    {
                        // h = m W_hrᵀ: dm = dh W_hr; dh kept (padded rows zeroed) for dW_hr = Σ dhᵀ m.
                        var dHsStep = _dHs.AsSpan((t * B + b0) * P, nb * P);
                        dh.CopyTo(dHsStep);
                        ZeroFinishedRows(t, nb, P, dHsStep, len);
                        Product(nb, dHsStep, P, _packedHr!, 0f, dm, H);
                    }
                    else dh.CopyTo(dm);
                    var cPrev = _cs.AsSpan((PrevIndex(t) * B + b0) * H, nb * H);
                    var cCur = _cs.AsSpan((CurIndex(t) * B + b0) * H, nb * H);
                    var tanhC = _tanhC.AsSpan((t * B + b0) * H, nb * H);
                    if (recorder is not null)
                        recorder.Backward(_layer, _direction, t, Norm(dh), CellGradientNorm(nb, gates, tanhC, dm, dc, t, len));
                    LstmKernelsParallel.Backward(_cell, nb, H, gates, cPrev, tanhC, dm, dc, dA,
                        Span(_pI), Span(_pF), Span(_pO), GradSpan(_pI), GradSpan(_pF), GradSpan(_pO), cCur, t, len);
                    // dh₋ = (dA W_hh) ⊙ m; padded rows pass dh through.
                    Product(nb, dA, GH, _packedHh!, 0f, dhNext, Ho);
                    MaskRecurrentGradient(b0, nb, dhNext);
                    PassThroughFinishedRows(t, nb, Ho, dh, dhNext, len);
                    break;
                }
                case CellType.Gru:
                {
                    recorder?.Backward(_layer, _direction, t, Norm(dh), 0);
                    var dAux = _dAux.AsSpan((t * B + b0) * GH, nb * GH);
                    GruKernels.BackwardResetAfter(nb, H, gates, AuxStep(t, B, b0, nb), hPrev, dh, dA, dAux, dhNext, t, len);
                    if (_dropActive)
                    {
                        // dh₋ += (dAux W_hh) ⊙ m
                        var dhRec = _dhRec.AsSpan(b0 * H, nb * H);
                        Product(nb, dAux, GH, _packedHh!, 0f, dhRec, H);
                        MaskRecurrentGradient(b0, nb, dhRec);
                        Elementwise.Add(dhNext, dhRec, dhNext);
                    }
                    else Product(nb, dAux, GH, _packedHh!, 1f, dhNext, H);
                    break;
                }
                case CellType.GruResetBefore:
                {
                    recorder?.Backward(_layer, _direction, t, Norm(dh), 0);
                    var dRh = _dRh.AsSpan(b0 * H, nb * H);
                    GruKernels.BackwardResetBeforeOutput(nb, H, gates, hPrev, dh, dA, dhNext, t, len);
                    // d(r⊙h₋) = dA_n W_hn
                    Product(nb, dA.Slice(2 * H), GH, _packedHn!, 0f, dRh, H);
                    GruKernels.BackwardResetBeforeGates(nb, H, gates, hPrev, dRh, dA, dhNext, t, len);
                    Product(nb, dA, GH, _packedHh!, 1f, dhNext, H);
                    break;
                }
                default:
                {
                    recorder?.Backward(_layer, _direction, t, Norm(dh), 0);
                    // h_t (= the activation on every valid row; padded rows get dA = 0)
                    RnnKernels.Backward(_cell, nb, H, _hs.AsSpan((CurIndex(t) * B + b0) * H, nb * H), dh, dA, t, len);
                    Product(nb, dA, H, _packedHh!, 0f, dhNext, H);
                    MaskRecurrentGradient(b0, nb, dhNext);
                    PassThroughFinishedRows(t, nb, H, dh, dhNext, len);
                    break;
                }
            }
        }

    }

    /// <summary>Weight gradients as big GEMMs over all steps (DESIGN.md §3.3).</summary>
    private void AccumulateWeightGradients(float[] input, int T, int B)
    {
        int H = _hidden, Ho = _stateSize, GH = _gates * H, I = _inputSize, TB = T * B, P = _proj;
        var dA = _dA.AsSpan(0, TB * GH);
        // States feeding steps t = 0..T−1: hs[0..T) forward, hs[1..T] reverse.
        // (Under recurrent dropout the products saw m ⊙ h₋, stored step by step.)
        var hPrevAll = _dropActive ? _hDropped.AsSpan(0, TB * Ho) : _hs.AsSpan((Reverse ? 1 : 0) * B * Ho, TB * Ho);
        // dW_ih += dAᵀ X
        Gemm.Sgemm(Op.Transpose, Op.None, GH, I, TB, 1f, dA, GH, input.AsSpan(0, TB * I), I, 1f, _wIh.Grad.Span, I);
        // Σ_rows dA, once: it is db_ih, and db_hh too except for the reset-after GRU (one pass over [T·B, G·H], not two).
        var dBias = Grow(ref _dBiasSums, GH).AsSpan(0, GH);
        dBias.Clear();
        Elementwise.AccumulateColumnSums(dA, dBias);
        Elementwise.Add(_bIh.Grad.Span, dBias, _bIh.Grad.Span);
        var dWhh = _wHh.Grad.Span;
        switch (_cell)
        {
            case CellType.Gru:
            {
                var dAux = _dAux.AsSpan(0, TB * GH);
                Gemm.Sgemm(Op.Transpose, Op.None, GH, H, TB, 1f, dAux, GH, hPrevAll, H, 1f, dWhh, H);
                Elementwise.AccumulateColumnSums(dAux, _bHh.Grad.Span);
                break;
            }
            case CellType.GruResetBefore:
                // rows r, z see h₋; rows n see r⊙h₋
                Gemm.Sgemm(Op.Transpose, Op.None, 2 * H, H, TB, 1f, dA, GH, hPrevAll, H, 1f, dWhh, H);
                Gemm.Sgemm(Op.Transpose, Op.None, H, H, TB, 1f, dA.Slice(2 * H), GH, _aux.AsSpan(0, TB * H), H, 1f, dWhh.Slice(2 * H * H), H);
                Elementwise.Add(_bHh.Grad.Span, dBias, _bHh.Grad.Span);
                break;
            default:
                Gemm.Sgemm(Op.Transpose, Op.None, GH, Ho, TB, 1f, dA, GH, hPrevAll, Ho, 1f, dWhh, Ho);
                Elementwise.Add(_bHh.Grad.Span, dBias, _bHh.Grad.Span);
                if (P > 0)
                    Gemm.Sgemm(Op.Transpose, Op.None, P, H, TB, 1f, _dHs.AsSpan(0, TB * P), P, _ms.AsSpan(0, TB * H), H, 1f, _wHr!.Grad.Span, H);
                break;
        }
    }

    /// <summary>dInput[T·B, I] (+)= dA · W_ih.</summary>
    public void AccumulateInputGradient(float[] dInput, bool accumulate)
    {
        if (_backwardGroups > 0)
        {
            Grow(ref _groupDX, _t * _b * _inputSize);   // here, not in the groups: they run concurrently
            RunGroups(_b, _backwardGroups, (b0, b1) => GroupInputGradient(dInput, accumulate, b0, b1));
            return;
        }
        int TB = _t * _b, GH = _gates * _hidden, I = _inputSize;
        Gemm.Sgemm(Op.None, Op.None, TB, I, GH, 1f, _dA.AsSpan(0, TB * GH), GH, _wIh.Value.Span, I,
            accumulate ? 1f : 0f, dInput.AsSpan(0, TB * I), I);
    }

    /// <summary>d(m ⊙ h₋) → dh₋: rows times the recurrent-dropout mask (no-op without dropout).</summary>
    private void MaskRecurrentGradient(int b0, int rows, Span<float> dhRec)
    {
        if (!_dropActive) return;
        int Ho = _stateSize;
        Elementwise.Multiply(dhRec, _dropMask.AsSpan(b0 * Ho, rows * Ho), dhRec);
    }

    private static ReadOnlySpan<float> Span(Parameter? p) => p is null ? default : p.Value.Span;

    private static Span<float> GradSpan(Parameter? p) => p is null ? default : p.Grad.Span;

    private static double Norm(ReadOnlySpan<float> x) => Math.Sqrt(Elementwise.SumOfSquares(x));

    /// <summary>‖∂L/∂c_t‖ = ‖dc_{t+1→t} + dm⊙o⊙(1−tanh²c) [+ dA_o⊙p_o]‖ over valid rows (only when recording).</summary>
    private double CellGradientNorm(int B, ReadOnlySpan<float> gates, ReadOnlySpan<float> tanhC, ReadOnlySpan<float> dm,
        ReadOnlySpan<float> dc, int t, ReadOnlySpan<int> len)
    {
        int H = _hidden;
        double sum = 0;
        var pO = Span(_pO);
        for (int b = 0; b < B; b++)
        {
            bool valid = len.IsEmpty || t < len[b];
            for (int j = 0; j < H; j++)
            {
                double v = dc[b * H + j];
                if (valid)
                {
                    float o = gates[b * 4 * H + 3 * H + j], tc = tanhC[b * H + j], d = dm[b * H + j];
                    v += d * o * (1 - tc * tc);
                    if (!pO.IsEmpty) v += d * tc * o * (1 - o) * pO[j];
                }
                sum += v * v;
            }
        }
        return Math.Sqrt(sum);
    }

    private static void ZeroFinishedRows(int t, int B, int width, Span<float> x, ReadOnlySpan<int> len)
    {
        if (len.IsEmpty) return;
        for (int b = 0; b < B; b++)
            if (t >= len[b]) x.Slice(b * width, width).Clear();
    }

    private static void PassThroughFinishedRows(int t, int B, int width, ReadOnlySpan<float> dh, Span<float> dhPrev, ReadOnlySpan<int> len)
    {
        if (len.IsEmpty) return;
        for (int b = 0; b < B; b++)
            if (t >= len[b]) dh.Slice(b * width, width).CopyTo(dhPrev.Slice(b * width, width));
    }
}
