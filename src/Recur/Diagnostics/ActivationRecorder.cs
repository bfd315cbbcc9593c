using Recur.Cells;
using Recur.Layers;

namespace Recur.Diagnostics;

/// <summary>
/// The <see cref="IRecurrentRecorder"/> behind <see cref="ActivationRecording"/>: copies h, tanh(c) and the
/// chosen gates of each step of one recurrent module (batch 1, unidirectional) into the layers' rows.
/// </summary>
internal sealed class ActivationRecorder(IReadOnlyList<LayerActivations> layers, int firstLayer, CellType cell) : IRecurrentRecorder
{
    /// <summary>Row (character index) of the module's step 0 in the current chunk.</summary>
    public int ChunkStart { get; set; }

    public void Forward(int layer, int direction, int t, ReadOnlySpan<float> h, ReadOnlySpan<float> c, ReadOnlySpan<float> gates)
    {
        var a = layers[firstLayer + layer];
        int row = ChunkStart + t, H = a.Units;
        h[..a.StateSize].CopyTo(a.Hidden.AsSpan(row * a.StateSize, a.StateSize));
        if (a.TanhCell is { } tanhC)
        {
            var dst = tanhC.AsSpan(row * H, H);
            for (int u = 0; u < H; u++) dst[u] = MathF.Tanh(c[u]);
        }
        var blocks = GateBlocks(cell);
        for (int g = 0; g < blocks.Length; g++)
        {
            var values = gates.Slice(blocks[g] * H, H);
            a.Saturation.Add(g, values);
            if (a.Gates is { } kept) values.CopyTo(kept.AsSpan((row * blocks.Length + g) * H, H));
        }
        if (blocks.Length > 0) a.Saturation.CompleteStep();
    }

    public void Backward(int layer, int direction, int t, double gradHNorm, double gradCNorm) { }

    /// <summary>Names of the recorded gates of a cell type.</summary>
    public static string[] GateNames(CellType cell) => cell.IsLstm() ? ["i", "f", "o"] : IsGru(cell) ? ["r", "z"] : [];

    // Positions of the recorded gates among the cell's gate blocks (PyTorch order: LSTM i, f, g, o; GRU r, z, n).
    private static readonly int[] LstmBlocks = [0, 1, 3], GruBlocks = [0, 1];

    private static int[] GateBlocks(CellType cell) => cell.IsLstm() ? LstmBlocks : IsGru(cell) ? GruBlocks : [];

    private static bool IsGru(CellType cell) => cell is CellType.Gru or CellType.GruResetBefore;
}
