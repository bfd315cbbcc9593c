namespace Recur.Diagnostics;

/// <summary>
/// What one recurrent layer did at every character of a recorded text (time-major, one row per character).
/// </summary>
public sealed class LayerActivations
{
    internal LayerActivations(int layer, int length, int units, int stateSize, bool hasCell, IReadOnlyList<string> gateNames, bool keepGates)
    {
        Layer = layer;
        Units = units;
        StateSize = stateSize;
        Hidden = new float[length * stateSize];
        TanhCell = hasCell ? new float[length * units] : null;
        GateNames = gateNames;
        Gates = keepGates && gateNames.Count > 0 ? new float[length * gateNames.Count * units] : null;
        Saturation = new GateSaturation(gateNames, units);
    }

    /// <summary>0-based index of the layer in the stack.</summary>
    public int Layer { get; }
    /// <summary>Hidden units H (cells of an LSTM).</summary>
    public int Units { get; }
    /// <summary>Width of h: H, or the projection size of an LSTMP.</summary>
    public int StateSize { get; }
    /// <summary>h <c>[N, StateSize]</c>.</summary>
    public float[] Hidden { get; }
    /// <summary>tanh(c) <c>[N, H]</c> (LSTM), otherwise null.</summary>
    public float[]? TanhCell { get; }
    /// <summary>The recorded gates (LSTM i, f, o; GRU r, z); none for a plain RNN.</summary>
    public IReadOnlyList<string> GateNames { get; }
    /// <summary>Gate activations <c>[N, GateNames.Count, H]</c> when the recording kept them, otherwise null.</summary>
    public float[]? Gates { get; }
    public GateSaturation Saturation { get; }

    /// <summary>The per-cell signal the finder and the report use: tanh(c) for an LSTM, h otherwise; <c>[N, CellCount]</c>.</summary>
    public float[] Cells => TanhCell ?? Hidden;
    public int CellCount => TanhCell is null ? StateSize : Units;
}
