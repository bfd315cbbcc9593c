using Recur.Layers;

namespace Recur.Diagnostics;

/// <summary>
/// Collects, during one backward pass of one layer (direction 0), ‖∂L/∂h_t‖ and ‖∂L/∂c_t‖ per time index t
/// (the <see cref="IRecurrentRecorder"/> hook). Forward calls are ignored.
/// </summary>
internal sealed class GradientFlowRecorder(int layer, int steps) : IRecurrentRecorder
{
    /// <summary>[T] ‖∂L/∂h_t‖ by time index t (h_t the output of step t).</summary>
    public double[] GradH { get; } = new double[steps];
    /// <summary>[T] ‖∂L/∂c_t‖ (0 for cells without a cell state).</summary>
    public double[] GradC { get; } = new double[steps];

    public void Forward(int layer1, int direction, int t, ReadOnlySpan<float> h, ReadOnlySpan<float> c, ReadOnlySpan<float> gates)
    {
    }

    public void Backward(int layer1, int direction, int t, double gradHNorm, double gradCNorm)
    {
        if (layer1 != layer || direction != 0) return;
        GradH[t] = gradHNorm;
        GradC[t] = gradCNorm;
    }
}
