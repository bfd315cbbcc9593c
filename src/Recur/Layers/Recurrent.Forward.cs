using Recur.Cells;
using Recur.Tensors;

namespace Recur.Layers;

public sealed partial class Recurrent
{
    private RecurrentDirection[][]? _directions;   // [layer][direction]
    private float[][] _layerOutputs = [];          // [layer] → [T, B, D·Hout] (the last one is the returned output)
    private float[][] _layerInputGrads = [];       // [layer ≥ 1] → [T, B, D·Hout]
    private Tensor? _input;                        // the x of the last Forward (not copied: do not modify before Backward)
    private int _lastT, _lastB;
    private bool _hasForward;
    private Tensor? _output, _hN, _cN, _dX, _dH0, _dC0;   // results, owned by the layer and reused (see Forward)

    private RecurrentDirection[][] Directions => _directions ??= CreateDirections();

    private RecurrentDirection[][] CreateDirections()
    {
        var o = Options;
        var dirs = new RecurrentDirection[o.NumLayers][];
        for (int l = 0; l < o.NumLayers; l++)
        {
            dirs[l] = new RecurrentDirection[o.Directions];
            for (int d = 0; d < o.Directions; d++) dirs[l][d] = new RecurrentDirection(this, l, d);
        }
        return dirs;
    }

    private RecurrentResult ForwardCore(Tensor x, Tensor? h0, Tensor? c0, int[]? lengths)
    {
        ArgumentNullException.ThrowIfNull(x);
        var o = Options;
        if (x.Rank != 3 || x.Dim(2) != o.InputSize || x.Dim(0) < 1 || x.Dim(1) < 1)
            throw new ArgumentException($"x: expected shape [T, B, {o.InputSize}] with T, B ≥ 1, got {Tensor.ShapeString(x.Shape)}");
        int T = x.Dim(0), B = x.Dim(1), LD = o.NumLayers * o.Directions;
        h0?.EnsureShape("h0", LD, B, o.StateSize);
        if (c0 is not null)
        {
            if (!o.Cell.IsLstm()) throw new ArgumentException($"c0: a {o.Cell.CliName()} layer has no cell state");
            c0.EnsureShape("c0", LD, B, o.HiddenSize);
        }
        ValidateLengths(lengths, T, B);

        var dirs = Directions;
        if (_layerOutputs.Length != o.NumLayers) _layerOutputs = new float[o.NumLayers][];
        var output = Owned(ref _output, T, B, o.OutputSize);
        var hN = Owned(ref _hN, LD, B, o.StateSize);
        var cN = o.Cell.IsLstm() ? Owned(ref _cN, LD, B, o.HiddenSize) : null;
        var recorder = Recorder;
        var dropout = RecurrentDropout is { P: > 0 } rd ? rd : null;
        if (dropout is not null) Layers.RecurrentDropout.EnsureSupported(o.Cell);

        for (int l = 0; l < o.NumLayers; l++)
        {
            float[] layerIn = l == 0 ? x.Data : _layerOutputs[l - 1];
            float[] layerOut = l == o.NumLayers - 1 ? output.Data : Reuse(ref _layerOutputs[l], T * B * o.OutputSize);
            _layerOutputs[l] = layerOut;
            int layer = l;
            // Masks drawn here, in order, before the directions may run concurrently.
            for (int d = 0; d < o.Directions; d++) dirs[l][d].SetRecurrentDropout(dropout, B);
            ForEachDirection(d => dirs[layer][d].Forward(layerIn, T, B, layerOut, o.OutputSize, d * o.StateSize,
                h0, c0, hN, cN, layer * o.Directions + d, lengths, recorder));
        }
        _input = x;
        _lastT = T;
        _lastB = B;
        _hasForward = true;
        return new RecurrentResult(output, hN, cN);
    }

    private RecurrentGradients BackwardCore(Tensor gradOutput, Tensor? gradHN, Tensor? gradCN, bool inputGradient)
    {
        ArgumentNullException.ThrowIfNull(gradOutput);
        if (!_hasForward || _input is null) throw new InvalidOperationException("Backward called before Forward");
        var o = Options;
        int T = _lastT, B = _lastB, LD = o.NumLayers * o.Directions;
        gradOutput.EnsureShape("gradOutput", T, B, o.OutputSize);
        gradHN?.EnsureShape("gradHN", LD, B, o.StateSize);
        if (gradCN is not null)
        {
            if (!o.Cell.IsLstm()) throw new ArgumentException($"gradCN: a {o.Cell.CliName()} layer has no cell state");
            gradCN.EnsureShape("gradCN", LD, B, o.HiddenSize);
        }
        var dirs = Directions;
        var dX = Owned(ref _dX, T, B, o.InputSize);
        var dH0 = Owned(ref _dH0, LD, B, o.StateSize);
        var dC0 = o.Cell.IsLstm() ? Owned(ref _dC0, LD, B, o.HiddenSize) : null;
        if (_layerInputGrads.Length != o.NumLayers) _layerInputGrads = new float[o.NumLayers][];
        var recorder = Recorder;

        for (int l = o.NumLayers - 1; l >= 0; l--)
        {
            float[] layerIn = l == 0 ? _input.Data : _layerOutputs[l - 1];
            float[] dOut = l == o.NumLayers - 1 ? gradOutput.Data : _layerInputGrads[l + 1];
            int layer = l;
            ForEachDirection(d => dirs[layer][d].Backward(layerIn, dOut, o.OutputSize, d * o.StateSize,
                gradHN, gradCN, layer * o.Directions + d, dH0, dC0, recorder));
            float[] dIn = l == 0 ? dX.Data : Reuse(ref _layerInputGrads[l], T * B * o.OutputSize);
            if (l == 0 && !inputGradient) Array.Clear(dIn);
            else for (int d = 0; d < o.Directions; d++) dirs[l][d].AccumulateInputGradient(dIn, accumulate: d > 0);
        }
        return new RecurrentGradients(dX, dH0, dC0);
    }

    /// <summary>Runs the directions of a layer; the two directions of a bidirectional layer concurrently.</summary>
    private void ForEachDirection(Action<int> run)
    {
        if (Options.Directions == 1) run(0);
        else Parallel.Invoke(() => run(0), () => run(1));
    }

    /// <summary>A layer-owned result tensor of this shape, reused across calls (large results would otherwise
    /// be fresh large-object-heap arrays every step). Fully overwritten by the caller.</summary>
    private static Tensor Owned(ref Tensor? slot, params int[] shape)
    {
        if (slot is null || !slot.HasShape(shape)) slot = new Tensor(shape);
        return slot;
    }

    private static float[] Reuse(ref float[] buffer, int length)
    {
        if (buffer is null || buffer.Length != length) buffer = new float[length];
        return buffer;
    }

    private static void ValidateLengths(int[]? lengths, int T, int B)
    {
        if (lengths is null) return;
        if (lengths.Length != B)
            throw new ArgumentException($"lengths: expected {B} entries (one per sequence), got {lengths.Length}");
        for (int b = 0; b < B; b++)
            if (lengths[b] < 1 || lengths[b] > T)
                throw new ArgumentException($"lengths[{b}] = {lengths[b]} is outside 1..{T}");
    }
}
