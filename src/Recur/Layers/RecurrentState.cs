using Recur.Tensors;

namespace Recur.Layers;

/// <summary>
/// The carried state of a unidirectional <see cref="Recurrent"/> stack for streaming
/// (<see cref="Recurrent.Step"/>): h <c>[L, B, Hout]</c>, c <c>[L, B, H]</c> (LSTM only).
/// </summary>
public sealed class RecurrentState
{
    public Tensor H { get; }
    public Tensor? C { get; }
    public int Batch { get; }

    internal RecurrentState(Tensor h, Tensor? c, int batch)
    {
        H = h;
        C = c;
        Batch = batch;
    }

    public void Reset()
    {
        H.Clear();
        C?.Clear();
    }
}
