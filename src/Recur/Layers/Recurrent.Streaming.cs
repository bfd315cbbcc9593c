using Recur.Cells;
using Recur.Tensors;

namespace Recur.Layers;

public sealed partial class Recurrent
{
    /// <summary>A zero (or given) state for streaming <paramref name="batch"/> sequences through a
    /// unidirectional stack; h0 <c>[L, B, Hout]</c>, c0 <c>[L, B, H]</c> (LSTM).</summary>
    public RecurrentState CreateState(int batch, Tensor? h0 = null, Tensor? c0 = null)
    {
        var o = Options;
        EnsureStreamable();
        if (batch < 1) throw new ArgumentException($"batch must be ≥ 1, got {batch}");
        var h = new Tensor(o.NumLayers, batch, o.StateSize);
        Tensor? c = o.Cell.IsLstm() ? new Tensor(o.NumLayers, batch, o.HiddenSize) : null;
        if (h0 is not null) { h0.EnsureShape("h0", o.NumLayers, batch, o.StateSize); h0.Span.CopyTo(h.Span); }
        if (c0 is not null)
        {
            if (c is null) throw new ArgumentException($"c0: a {o.Cell.CliName()} layer has no cell state");
            c0.EnsureShape("c0", o.NumLayers, batch, o.HiddenSize);
            c0.Span.CopyTo(c.Span);
        }
        return new RecurrentState(h, c, batch);
    }

    /// <summary>One time step of a unidirectional stack: x <c>[B, I]</c> → output <c>[B, Hout]</c>; updates
    /// <paramref name="state"/> in place. Same numbers as <see cref="Forward"/> step by step.
    /// Not thread-safe: one streaming caller per layer object.</summary>
    public void Step(ReadOnlySpan<float> x, RecurrentState state, Span<float> output) => Step(x, state, output, -1);

    /// <summary><see cref="Step(ReadOnlySpan{float}, RecurrentState, Span{float})"/> where x is the embedding of
    /// <paramref name="token"/> (a frozen first layer reads its input product from a table, see
    /// <see cref="Freeze"/>).</summary>
    internal void Step(ReadOnlySpan<float> x, RecurrentState state, Span<float> output, int token)
    {
        ArgumentNullException.ThrowIfNull(state);
        var o = Options;
        EnsureStreamable();
        int B = state.Batch, Ho = o.StateSize, H = o.HiddenSize;
        if (state.H.Dim(0) != o.NumLayers || state.H.Dim(2) != Ho)
            throw new ArgumentException($"state: expected h [{o.NumLayers}, B, {Ho}], got {Tensor.ShapeString(state.H.Shape)}");
        if (x.Length != B * o.InputSize)
            throw new ArgumentException($"x: expected [{B}, {o.InputSize}] ({B * o.InputSize} values), got {x.Length}");
        if (output.Length != B * Ho)
            throw new ArgumentException($"output: expected [{B}, {Ho}] ({B * Ho} values), got {output.Length}");
        var dirs = Directions;
        ReadOnlySpan<float> input = x;
        for (int l = 0; l < o.NumLayers; l++)
        {
            var h = state.H.Span.Slice(l * B * Ho, B * Ho);
            var c = state.C is null ? default : state.C.Span.Slice(l * B * H, B * H);
            dirs[l][0].StreamStep(input, B, h, c, l == 0 ? token : -1);
            input = h;
        }
        input.CopyTo(output);
    }

    /// <summary>Marks this layer's weights as fixed from now on (the private copy in a <see cref="FrozenSequential"/>).
    /// With <paramref name="embedding"/> <c>[V, I]</c> (a token model's first module) the first layer folds it into
    /// its input product.</summary>
    internal void Freeze(ReadOnlySpan<float> embedding = default, int vocab = 0)
    {
        foreach (var layer in Directions)
            foreach (var direction in layer) direction.Frozen = true;
        if (vocab > 0 && !Options.Bidirectional) Directions[0][0].FoldEmbedding(embedding, vocab);
    }

    /// <summary>The frozen layers of this module, first to last, for <see cref="FrozenStackStep"/>; null unless every one
    /// is a unidirectional LSTM layer that streams from interleaved weights.</summary>
    internal FrozenLstmLayer[]? FrozenLayers()
    {
        if (Options.Bidirectional) return null;
        var layers = new FrozenLstmLayer[Options.NumLayers];
        for (int l = 0; l < layers.Length; l++)
            if (Directions[l][0].FrozenLayer() is { } layer) layers[l] = layer;
            else return null;
        return layers;
    }

    private void EnsureStreamable()
    {
        if (Options.Bidirectional)
            throw new InvalidOperationException("streaming needs a unidirectional layer: a bidirectional layer reads the whole sequence");
    }
}
