using Recur.Cells;

namespace Recur.Layers;

/// <summary>
/// The shape of a <see cref="Recurrent"/> stack, as torch.nn.LSTM/GRU/RNN's constructor:
/// <paramref name="ProjSize"/> &gt; 0 only for the LSTM cells (LSTMP).
/// </summary>
public sealed record RecurrentOptions(
    CellType Cell,
    int InputSize,
    int HiddenSize,
    int NumLayers = 1,
    bool Bidirectional = false,
    int ProjSize = 0)
{
    public int Directions => Bidirectional ? 2 : 1;
    /// <summary>Width of h: P with a projection, else H.</summary>
    public int StateSize => ProjSize > 0 ? ProjSize : HiddenSize;
    /// <summary>Width of the output sequence: D · Hout.</summary>
    public int OutputSize => Directions * StateSize;

    public void Validate()
    {
        if (InputSize <= 0) throw new ArgumentException($"input size must be positive, got {InputSize}");
        if (HiddenSize <= 0) throw new ArgumentException($"hidden size must be positive, got {HiddenSize}");
        if (NumLayers <= 0) throw new ArgumentException($"number of layers must be positive, got {NumLayers}");
        if (ProjSize < 0) throw new ArgumentException($"projection size must be ≥ 0, got {ProjSize}");
        if (ProjSize > 0 && !Cell.IsLstm()) throw new ArgumentException($"a projection (proj_size) needs an LSTM cell, not {Cell.CliName()}");
        if (ProjSize >= HiddenSize && ProjSize > 0) throw new ArgumentException($"proj_size ({ProjSize}) must be smaller than hidden_size ({HiddenSize})");
    }
}
