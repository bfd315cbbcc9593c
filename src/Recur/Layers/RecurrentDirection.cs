using Recur.Cells;
using Recur.Kernels;
using Recur.Tensors;

namespace Recur.Layers;

/// <summary>
/// One layer, one direction of a <see cref="Recurrent"/> stack: its parameters, the forward sweep
/// (caching what backward needs) and the reverse sweep (BPTT), following DESIGN.md §3:
/// one input-projection GEMM for all steps, a recurrent GEMM and a fused gate kernel per step,
/// weight gradients as big GEMMs after the sweep.
/// <para>State storage hs <c>[T+1, B, Hout]</c>: forward direction hs[0] = h0, hs[t+1] = h_t;
/// reverse direction hs[T] = h0, hs[t] = h_t. So the states feeding steps t = 0..T−1 form one
/// contiguous block (hs[0..T) forward, hs[1..T] reverse) for the dW_hh GEMM.</para>
/// </summary>
internal sealed partial class RecurrentDirection
{
    private readonly CellType _cell;
    private readonly int _layer, _direction, _inputSize, _hidden, _stateSize, _proj, _gates;
    private readonly Parameter _wIh, _wHh, _bIh, _bHh;
    private readonly Parameter? _wHr, _pI, _pF, _pO;

    // Forward cache (grown on demand, reused across calls).
    private int _t, _b;
    private float[] _gateActs = [];   // [T, B, G·H] pre-activations → activations
    private float[] _hs = [];         // [T+1, B, Hout]
    private float[] _cs = [];         // [T+1, B, H] (LSTM), same indexing as hs
    private float[] _tanhC = [];      // [T, B, H] (LSTM)
    private float[] _ms = [];         // [T, B, H] (LSTM with projection: m before W_hr)
    private float[] _aux = [];        // [T, B, 3H] GRU reset-after: h₋W_hhᵀ + b_hh; [T, B, H] reset-before: r⊙h₋
    private float[] _bias = [];       // [G·H] bias folded into the input projection
    private int[] _lengths = [];
    private float[] _dropMask = [];   // [B, Hout] recurrent-dropout mask of the last Forward (values 0 or 1/(1−p))
    private bool _dropActive;
    private float[] _hDropped = [];   // [T, B, Hout] m ⊙ h₋ fed to each step's recurrent product (dropout only)

    // Backward scratch.
    private float[] _dA = [];         // [T, B, G·H] gradient of the input projection (pre-activations)
    private float[] _dBiasSums = [];  // [G·H] Σ over rows of dA (the bias gradients)
    private float[] _dAux = [];       // [T, B, 3H] GRU reset-after: gradient of h₋W_hhᵀ + b_hh
    private float[] _dHs = [];        // [T, B, P] LSTM projection: ∂L/∂h_t for dW_hr
    private float[] _dh = [], _dhNext = [], _dc = [], _dm = [], _dRh = [], _dhRec = [];

    public RecurrentDirection(Recurrent owner, int layer, int direction)
    {
        var o = owner.Options;
        _cell = o.Cell;
        _layer = layer;
        _direction = direction;
        _inputSize = layer == 0 ? o.InputSize : o.OutputSize;
        _hidden = o.HiddenSize;
        _stateSize = o.StateSize;
        _proj = o.ProjSize;
        _gates = o.Cell.Gates();
        string sfx = Recurrent.Suffix(layer, direction);
        _wIh = owner["weight_ih" + sfx];
        _wHh = owner["weight_hh" + sfx];
        _bIh = owner["bias_ih" + sfx];
        _bHh = owner["bias_hh" + sfx];
        if (_proj > 0) _wHr = owner["weight_hr" + sfx];
        if (_cell == CellType.LstmPeephole)
        {
            _pI = owner["peephole_i" + sfx];
            _pF = owner["peephole_f" + sfx];
            _pO = owner["peephole_o" + sfx];
        }
    }

    public int InputSize => _inputSize;

    private bool Reverse => _direction == 1;

    private int PrevIndex(int t) => Reverse ? t + 1 : t;

    private int CurIndex(int t) => Reverse ? t : t + 1;

    private static float[] Grow(ref float[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new float[length];
        return buffer;
    }

    /// <summary>bias = b_ih + b_hh, except GRU reset-after where b_hh stays with the recurrent product.</summary>
    private void FoldBias()
    {
        int gh = _gates * _hidden;
        Grow(ref _bias, gh);
        var bias = _bias.AsSpan(0, gh);
        _bIh.Value.Span.CopyTo(bias);
        if (_cell != CellType.Gru) Elementwise.Add(bias, _bHh.Value.Span, bias);
    }

    private void EnsureForwardBuffers(int T, int B)
    {
        int gh = _gates * _hidden;
        Grow(ref _gateActs, T * B * gh);
        Grow(ref _hs, (T + 1) * B * _stateSize);
        if (_dropActive) Grow(ref _hDropped, T * B * _stateSize);
        if (_cell.IsLstm())
        {
            Grow(ref _cs, (T + 1) * B * _hidden);
            Grow(ref _tanhC, T * B * _hidden);
            if (_proj > 0) Grow(ref _ms, T * B * _hidden);
        }
        else if (_cell == CellType.Gru) Grow(ref _aux, T * B * 3 * _hidden);
        else if (_cell == CellType.GruResetBefore) Grow(ref _aux, T * B * _hidden);
    }

    /// <summary>Draws this direction's mask for the coming Forward, or switches dropout off (null).</summary>
    public void SetRecurrentDropout(RecurrentDropout? dropout, int B)
    {
        _dropActive = dropout is not null;
        if (dropout is null) return;
        int n = B * _stateSize;
        Grow(ref _dropMask, n);
        dropout.Draw(_dropMask.AsSpan(0, n));
    }
}
