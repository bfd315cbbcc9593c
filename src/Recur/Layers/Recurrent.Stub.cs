using Recur.Tensors;

namespace Recur.Layers;

public sealed partial class Recurrent
{
    // Temporary: the implementation lands in Recurrent.Forward.cs / Recurrent.Backward.cs / Recurrent.Streaming.cs.
    private RecurrentResult ForwardCore(Tensor x, Tensor? h0, Tensor? c0, int[]? lengths) => throw new NotImplementedException();
    private RecurrentGradients BackwardCore(Tensor gradOutput, Tensor? gradHN, Tensor? gradCN) => throw new NotImplementedException();

    /// <summary>A zero (or given) state for streaming <paramref name="batch"/> sequences; h0 <c>[L, B, Hout]</c>, c0 <c>[L, B, H]</c>.</summary>
    public RecurrentState CreateState(int batch, Tensor? h0 = null, Tensor? c0 = null) => throw new NotImplementedException();

    /// <summary>One time step of a unidirectional stack: x <c>[B, I]</c> → output <c>[B, Hout]</c>; updates
    /// <paramref name="state"/> in place. Same numbers as <see cref="Forward"/> step by step.</summary>
    public void Step(ReadOnlySpan<float> x, RecurrentState state, Span<float> output) => throw new NotImplementedException();
}
