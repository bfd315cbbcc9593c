namespace Recur.Layers;

/// <summary>
/// Observes a <see cref="Recurrent"/> layer step by step (activation views, gradient flow).
/// Off by default (null); when null the kernels pay nothing. Calls come from the thread that
/// runs the direction: the two directions of a bidirectional layer may call concurrently.
/// </summary>
public interface IRecurrentRecorder
{
    /// <summary>After forward step <paramref name="t"/> (time index, not iteration count) of one
    /// layer and direction. <paramref name="h"/> <c>[B, Hout]</c>, <paramref name="c"/> <c>[B, H]</c>
    /// (empty for GRU/RNN), <paramref name="gates"/> <c>[B, G·H]</c> activated gate values in
    /// PyTorch order (LSTM i, f, g, o; GRU r, z, n; RNN: the new h before projection).</summary>
    void Forward(int layer, int direction, int t, ReadOnlySpan<float> h, ReadOnlySpan<float> c, ReadOnlySpan<float> gates);

    /// <summary>During backward, at step <paramref name="t"/>: ‖∂L/∂h_t‖ and ‖∂L/∂c_t‖ (0 without a cell
    /// state), Frobenius norms over the batch, h_t's gradient including what flows from above and from t+1.</summary>
    void Backward(int layer, int direction, int t, double gradHNorm, double gradCNorm);
}
