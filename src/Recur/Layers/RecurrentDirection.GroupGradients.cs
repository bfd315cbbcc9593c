using Recur.Cells;
using Recur.Kernels;

namespace Recur.Layers;

/// <summary>
/// Weight and input gradients by row group (LSTM without projection and Elman RNN, sweeps split into row groups):
/// each group keeps its rows of [x_t | h₋] (forward sweep) and of dA (backward sweep) in one block of its own, and
/// computes from them, on its own thread, its share Σ dAᵀ·[x | h₋] and Σ dA (the caller adds the groups' shares)
/// and its rows of dA·W_ih. The whole-batch products (one GEMM per weight, K = T·B, split over the threads by output tiles) read half
/// their rows from the other core and padded N = I and N = H to the micro-kernel's 32 columns each; a group's
/// product reads what its own core wrote, with [W_ih | W_hh] as one N = I + H.
/// </summary>
internal sealed partial class RecurrentDirection
{
    private float[] _groupInputs = [];   // group after group: [T, rows, I + Hout] x_t | h₋ (as the recurrent product saw it)
    private float[] _groupDA = [];       // group after group: [T, rows, G·H]
    private float[] _groupSums = [];     // per group: Σ dAᵀ·[x | h₋] [G·H, I + Hout], then Σ dA [G·H]
    private float[] _groupDX = [];       // group after group: [T, rows, I] dA·W_ih
    private int _forwardGroups;          // row groups whose inputs the last Forward kept (0: none)
    private int _backwardGroups;         // row groups whose block of dA the last Backward wrote (0: dA is [T, B, G·H])
    private static long s_groupGradientSweeps;

    /// <summary>Backward sweeps whose weight gradients were summed by row group so far in this process (for tests).</summary>
    internal static long GroupGradientSweeps => Interlocked.Read(ref s_groupGradientSweeps);

    /// <summary>Row groups whose weight gradients are computed by group for a sweep of batch <paramref name="B"/>; 0 when
    /// not. Cells whose weight gradients are Σ dAᵀ·[x | h₋] and whose biases both get Σ dA: the LSTM (plain and
    /// coupled; the peephole's gradients also sum c over rows, a projection adds W_hr) and the Elman RNN. Not the
    /// GRU: its W_hh sees another dA than W_ih (reset-after), or r⊙h₋ (reset-before).</summary>
    private int GradientGroups(int B, bool splittable)
        => _cell is CellType.Lstm or CellType.LstmCoupled or CellType.RnnTanh or CellType.RnnRelu && _proj == 0
            && SplitsRows(B, splittable) ? RowGroupCount(B) : 0;

    private int GroupSumsSize => _gates * _hidden * (_inputSize + _stateSize + 1);

    /// <summary>Rows [b0, b0 + nb) of step t: x_t and h₋ into the group's block, whose rows start at b0·T.</summary>
    private void KeepGroupInputs(int T, int B, int b0, int nb, int t, float[] input, ReadOnlySpan<float> hRec)
    {
        int I = _inputSize, Ho = _stateSize, W = I + Ho;
        var dst = _groupInputs.AsSpan((b0 * T + t * nb) * W, nb * W);
        for (int b = 0; b < nb; b++)
        {
            input.AsSpan((t * B + b0 + b) * I, I).CopyTo(dst.Slice(b * W, I));
            hRec.Slice(b * Ho, Ho).CopyTo(dst.Slice(b * W + I, Ho));
        }
    }

    /// <summary>dInput rows of group [b0, b1) (+)= dA·W_ih: one GEMM over the group's block of dA, on its own thread,
    /// then its rows into their places in <paramref name="dInput"/> <c>[T, B, I]</c>.</summary>
    private void GroupInputGradient(float[] dInput, bool accumulate, int b0, int b1)
    {
        int T = _t, B = _b, GH = _gates * _hidden, I = _inputSize, nb = b1 - b0, rows = T * nb;
        var dX = _groupDX.AsSpan(b0 * T * I, rows * I);
        Gemm.Sgemm(Op.None, Op.None, rows, I, GH, 1f, _groupDA.AsSpan(b0 * T * GH, rows * GH), GH, _wIh.Value.Span, I, 0f, dX, I);
        for (int t = 0; t < T; t++)
        {
            var src = dX.Slice(t * nb * I, nb * I);
            var dst = dInput.AsSpan((t * B + b0) * I, nb * I);
            if (accumulate) Elementwise.Add(dst, src, dst);
            else src.CopyTo(dst);
        }
    }

    /// <summary>After the backward sweep of rows [b0, b1), on that group's thread: its Σ dAᵀ·[x | h₋] and Σ dA.</summary>
    private void GroupWeightGradients(int T, int B, int groups, int b0, int b1)
    {
        int GH = _gates * _hidden, W = _inputSize + _stateSize, rows = T * (b1 - b0);
        var sums = _groupSums.AsSpan(GroupIndex(B, groups, b0) * GroupSumsSize, GroupSumsSize);
        var dA = _groupDA.AsSpan(b0 * T * GH, rows * GH);
        Gemm.Sgemm(Op.Transpose, Op.None, GH, W, rows, 1f, dA, GH, _groupInputs.AsSpan(b0 * T * W, rows * W), W, 0f, sums, W);
        var dBias = sums.Slice(GH * W, GH);
        dBias.Clear();
        Elementwise.AccumulateColumnSums(dA, dBias);
    }

    /// <summary>The groups' shares into the gradients of W_ih, W_hh, b_ih and b_hh (group 0 first: reproducible).</summary>
    private void AddGroupWeightGradients(int groups)
    {
        Interlocked.Increment(ref s_groupGradientSweeps);
        int GH = _gates * _hidden, I = _inputSize, Ho = _stateSize, W = I + Ho;
        Span<float> dWih = _wIh.Grad.Span, dWhh = _wHh.Grad.Span;
        for (int g = 0; g < groups; g++)
        {
            var sums = _groupSums.AsSpan(g * GroupSumsSize, GroupSumsSize);
            for (int r = 0; r < GH; r++)
            {
                var row = sums.Slice(r * W, W);
                var ih = dWih.Slice(r * I, I);
                var hh = dWhh.Slice(r * Ho, Ho);
                Elementwise.Add(ih, row[..I], ih);
                Elementwise.Add(hh, row[I..], hh);
            }
            var dBias = sums.Slice(GH * W, GH);
            Elementwise.Add(_bIh.Grad.Span, dBias, _bIh.Grad.Span);
            Elementwise.Add(_bHh.Grad.Span, dBias, _bHh.Grad.Span);
        }
    }
}
